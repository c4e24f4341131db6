import { type Actor, type Permission, permissionsOf, type Role } from '../access.ts';
import type { Core } from '../core.ts';
import { conflict, forbidden, notFound } from '../errors.ts';
import { newId, nowIso } from '../ids.ts';
import { InputCheck } from '../service/input.ts';
import { mutate } from '../service/mutate.ts';
import { requireUser } from './auth.ts';
import { hashPassword } from './passwords.ts';
import { deleteSessionsOfUser } from './session-repository.ts';
import { revokePersonalAccessTokensOfUser } from './token-repository.ts';
import { findUserRowByEmail, insertUser, updatePasswordHash } from './user-repository.ts';
import { toUserView, toWorkspaceView, type UserView, type WorkspaceView } from './views.ts';
import { listWorkspaceRowsOfUser } from './workspace-repository.ts';

/** The user with this email (case-insensitive), or null. */
export async function findUserByEmail(core: Core, email: string): Promise<UserView | null> {
  const row = await findUserRowByEmail(core.db, email.trim().toLowerCase());
  return row ? toUserView(row) : null;
}

/** Only the operator (the CLI, run by whoever runs the server) manages accounts. */
function assertOperator(actor: Actor, what: string): void {
  if (actor.kind !== 'system') throw forbidden(`Only the server's operator can ${what} (switchboard CLI)`);
}

/**
 * Creates an account (operator action from the CLI). Switchboard sends no mail, so nobody
 * else can vouch for an email address: invitations never create accounts (decision 0011). The
 * new user signs in and accepts the invitations waiting for their email.
 */
export async function createUser(
  core: Core,
  actor: Actor,
  input: { email: string; name: string; password: string },
): Promise<UserView> {
  assertOperator(actor, 'create accounts');
  const check = new InputCheck();
  const email = check.email('email', input.email);
  const name = check.name('name', input.name);
  const password = check.password('password', input.password);
  check.done();
  if (await findUserRowByEmail(core.db, email)) throw conflict(`An account for ${email} exists already`);
  const passwordHash = await hashPassword(password);
  return mutate(core, actor, null, async (trx, record) => {
    const now = nowIso();
    const user = await insertUser(trx, {
      id: newId('usr'),
      email,
      name,
      password_hash: passwordHash,
      created_at: now,
      updated_at: now,
    });
    await record({ action: 'user.create', targetType: 'user', targetId: user.id, details: { email } });
    return toUserView(user);
  });
}

/** What a password reset ended. */
export interface PasswordResetResult {
  sessionsEnded: number;
  tokensRevoked: number;
}

/**
 * Sets a new password (operator action from the CLI), ends every session of the user and
 * revokes their personal access tokens: a reset is what an operator does when an account may
 * be in the wrong hands, and a token made from a stolen session would outlive it otherwise.
 */
export async function resetPassword(
  core: Core,
  actor: Actor,
  input: { email: string; password: string },
): Promise<PasswordResetResult> {
  assertOperator(actor, 'reset passwords');
  const check = new InputCheck();
  const email = check.email('email', input.email);
  const password = check.password('password', input.password);
  check.done();
  const user = await findUserRowByEmail(core.db, email);
  if (!user) throw notFound('User');
  const passwordHash = await hashPassword(password);
  return mutate(core, actor, null, async (trx, record) => {
    const now = nowIso();
    await updatePasswordHash(trx, user.id, passwordHash, now);
    const sessionsEnded = await deleteSessionsOfUser(trx, user.id);
    const tokensRevoked = await revokePersonalAccessTokensOfUser(trx, user.id, now);
    await record({
      kind: 'sign-in',
      action: 'user.password_reset',
      targetType: 'user',
      targetId: user.id,
      details: { email: user.email, sessionsEnded, tokensRevoked },
    });
    return { sessionsEnded, tokensRevoked };
  });
}

/** Workspaces the signed-in user belongs to, with the role in each. */
export async function listWorkspaces(
  core: Core,
  actor: Actor,
): Promise<{ workspace: WorkspaceView; role: Role }[]> {
  if (actor.kind !== 'user') return [];
  const rows = await listWorkspaceRowsOfUser(core.db, actor.userId);
  return rows.map(({ role, ...workspace }) => ({ workspace: toWorkspaceView(workspace), role }));
}

/** Who is signed in, and what they may do where (`auth.me`). */
export interface Me {
  /** The signed-in user. */
  user: UserView;
  /** The personal access token's scopes; null when signed in by a session or an unscoped token. */
  scopes: Permission[] | null;
  /** Each workspace with the user's role in it and what they may do there, role and scopes together. */
  workspaces: { workspace: WorkspaceView; role: Role; permissions: Permission[] }[];
}

/** The signed-in user, their token's scopes, and their workspaces. */
export async function getMe(core: Core, actor: Actor): Promise<Me> {
  if (actor.kind !== 'user') throw forbidden('Only a signed-in user has a profile');
  const user = await requireUser(core, actor.userId);
  const workspaces = await listWorkspaces(core, actor);
  return {
    user,
    scopes: actor.scopes ? [...actor.scopes] : null,
    workspaces: workspaces.map((entry) => ({ ...entry, permissions: permissionsOf(actor, entry.role) })),
  };
}
