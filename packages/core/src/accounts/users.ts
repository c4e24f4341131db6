import type { Role } from '../access.ts';
import { recordAudit } from '../audit.ts';
import type { Core } from '../core.ts';
import { notFound } from '../errors.ts';
import { nowIso } from '../ids.ts';
import { requireUser } from './auth.ts';
import { hashPassword } from './passwords.ts';
import { deleteSessionsOfUser } from './session-repository.ts';
import { findUserRowByEmail, updatePasswordHash } from './user-repository.ts';
import { InputCheck } from './validation.ts';
import { toUserView, toWorkspaceView, type UserView, type WorkspaceView } from './views.ts';
import { listWorkspaceRowsOfUser } from './workspace-repository.ts';

/** The user with this email (case-insensitive), or null. */
export async function findUserByEmail(core: Core, email: string): Promise<UserView | null> {
  const row = await findUserRowByEmail(core.db, email.trim().toLowerCase());
  return row ? toUserView(row) : null;
}

/**
 * Sets a new password (operator action from the CLI) and ends every session of
 * the user. Personal access tokens stay valid: they are revoked one by one.
 */
export async function resetPassword(core: Core, email: string, newPassword: string): Promise<void> {
  const check = new InputCheck();
  const normalized = check.email('email', email);
  const password = check.password('password', newPassword);
  check.done();
  const user = await findUserRowByEmail(core.db, normalized);
  if (!user) throw notFound('User');
  const passwordHash = await hashPassword(password);
  await core.db.transaction().execute(async (trx) => {
    const now = nowIso();
    await updatePasswordHash(trx, user.id, passwordHash, now);
    const sessionsEnded = await deleteSessionsOfUser(trx, user.id);
    await recordAudit(trx, {
      workspaceId: null,
      actor: { kind: 'system', label: 'cli' },
      action: 'user.password_reset',
      targetType: 'user',
      targetId: user.id,
      details: { email: user.email, sessionsEnded },
    });
  });
}

/** Workspaces a user belongs to, with the role in each. */
export async function listWorkspaces(
  core: Core,
  userId: string,
): Promise<{ workspace: WorkspaceView; role: Role }[]> {
  const rows = await listWorkspaceRowsOfUser(core.db, userId);
  return rows.map(({ role, ...workspace }) => ({ workspace: toWorkspaceView(workspace), role }));
}

/** The signed-in user and their workspaces. */
export async function getMe(
  core: Core,
  userId: string,
): Promise<{ user: UserView; workspaces: { workspace: WorkspaceView; role: Role }[] }> {
  const user = await requireUser(core, userId);
  return { user, workspaces: await listWorkspaces(core, userId) };
}
