import { type Permission, parseScopes } from '../access.ts';
import { SIGN_IN_CHANGE_SCOPE } from '../changes.ts';
import { isResync } from '../changes/transport.ts';
import type { Core } from '../core.ts';
import type { DbOrTrx } from '../db/schema.ts';
import { recordAudit } from '../audit.ts';
import { conflict, unauthorized } from '../errors.ts';
import { newId, nowIso } from '../ids.ts';
import {
  dummyPasswordHash,
  hashPassword,
  MAX_PASSWORD_LENGTH,
  PASSWORD_TOO_LONG,
  verifyPassword,
} from './passwords.ts';
import { hashSecret, looksLikeSecret, newSecret } from './secrets.ts';
import {
  deleteSession,
  findSessionByHash,
  findSessionExpiry,
  insertSession,
  touchSession,
} from './session-repository.ts';
import { isUniqueViolation, publishChange } from '../service/mutate.ts';
import { isStale } from './last-used.ts';
import {
  findApiKeyByHash,
  findPersonalAccessToken,
  findPersonalAccessTokenByHash,
  insertPersonalAccessToken,
  touchApiKey,
  touchPersonalAccessToken,
} from './token-repository.ts';
import { anyUserExists, findUserRowByEmail, findUserRowById, insertUser } from './user-repository.ts';
import { InputCheck } from '../service/input.ts';
import { toTokenView, toUserView, toWorkspaceView, type UserView, type WorkspaceView } from './views.ts';
import { insertMember, insertWorkspace } from './workspace-repository.ts';
import { type ApiKeyLimits, limitsOfRow } from './api-key-limits.ts';

/** A session ends after this long without use... */
const SESSION_IDLE_MS = 14 * 24 * 60 * 60_000;
/** ...and in any case this long after sign-in. */
const SESSION_MAX_MS = 90 * 24 * 60 * 60_000;
/** Cookie lifetime for a session: the longest a session can live; the server decides sooner expiry. */
export const SESSION_COOKIE_MAX_AGE_SECONDS = SESSION_MAX_MS / 1000;
// The meta row whose primary key makes concurrent setups collide: exactly one commits.
const SETUP_MARKER = 'setup.completed_at';

/** Input of the first-run setup. */
export interface SetupInput {
  email: string;
  password: string;
  name?: string;
  workspaceName: string;
}

/** A new session: the token goes into the cookie and is never stored. */
export interface NewSession {
  sessionToken: string;
  sessionId: string;
  expiresAt: string;
}

/** What a successful setup returns; `token` is a personal access token named `setup`, shown once. */
export interface SetupResult {
  user: UserView;
  workspace: WorkspaceView;
  token: string;
}

/** True once anyone has an account (the console shows setup until then). */
export function hasAnyUser(core: Core): Promise<boolean> {
  return anyUserExists(core.db);
}

function checkSetupInput(input: SetupInput) {
  const check = new InputCheck();
  const email = check.email('email', input.email);
  const password = check.password('password', input.password);
  const name =
    input.name === undefined || input.name.trim() === ''
      ? email.split('@')[0] || 'Owner'
      : check.name('name', input.name);
  const workspaceName = check.name('workspaceName', input.workspaceName, 'Workspace name');
  check.done();
  return { email, password, name, workspaceName };
}

async function createSessionRow(trx: DbOrTrx, userId: string): Promise<NewSession> {
  const secret = newSecret('sbs_');
  const now = Date.now();
  const session = {
    id: newId('ses'),
    token_hash: secret.hash,
    user_id: userId,
    created_at: new Date(now).toISOString(),
    expires_at: new Date(now + SESSION_IDLE_MS).toISOString(),
    last_used_at: new Date(now).toISOString(),
  };
  await insertSession(trx, session);
  return { sessionToken: secret.secret, sessionId: session.id, expiresAt: session.expires_at };
}

async function runSetup(core: Core, input: SetupInput, withSession: boolean) {
  const checked = checkSetupInput(input);
  // Cheap refusal first: a public endpoint must not spend scrypt work once setup is done.
  if (await anyUserExists(core.db)) throw conflict('Setup is already done');
  // Hash before the transaction: scrypt is slow and must not hold the write lock.
  const passwordHash = await hashPassword(checked.password);
  try {
    const result = await core.db.transaction().execute(async (trx) => {
      if (await anyUserExists(trx)) throw conflict('Setup is already done');
      const now = nowIso();
      await trx.insertInto('meta').values({ key: SETUP_MARKER, value: now }).execute();
      const user = await insertUser(trx, {
        id: newId('usr'),
        email: checked.email,
        name: checked.name,
        password_hash: passwordHash,
        created_at: now,
        updated_at: now,
      });
      const workspace = await insertWorkspace(trx, {
        id: newId('ws'),
        name: checked.workspaceName,
        created_at: now,
        updated_at: now,
      });
      const member = await insertMember(trx, {
        id: newId('mem'),
        workspace_id: workspace.id,
        user_id: user.id,
        role: 'owner',
        created_at: now,
        updated_at: now,
      });
      const secret = newSecret('sbp_');
      const token = {
        id: newId('pat'),
        user_id: user.id,
        name: 'setup',
        token_hash: secret.hash,
        token_prefix: secret.prefix,
        created_at: now,
        last_used_at: null,
        revoked_at: null,
        expires_at: null,
        scopes: null,
      };
      await insertPersonalAccessToken(trx, token);
      const actor = { kind: 'user', userId: user.id } as const;
      await recordAudit(trx, {
        workspaceId: null,
        actor,
        action: 'user.setup',
        targetType: 'user',
        targetId: user.id,
        details: { email: user.email },
      });
      await recordAudit(trx, {
        workspaceId: workspace.id,
        actor,
        action: 'workspace.create',
        targetType: 'workspace',
        targetId: workspace.id,
        details: { name: workspace.name },
      });
      await recordAudit(trx, {
        workspaceId: workspace.id,
        actor,
        action: 'member.add',
        targetType: 'member',
        targetId: member.id,
        details: { userId: user.id, email: user.email, role: 'owner' },
      });
      await recordAudit(trx, {
        workspaceId: null,
        actor,
        action: 'token.create',
        targetType: 'personal_access_token',
        targetId: token.id,
        details: { name: token.name, prefix: toTokenView(token).prefix },
      });
      const session = withSession ? await createSessionRow(trx, user.id) : null;
      return { user: toUserView(user), workspace: toWorkspaceView(workspace), token: secret.secret, session };
    });
    publishChange(core, result.workspace.id, 'workspace', result.workspace.id, 'workspace.create');
    return result;
  } catch (error) {
    // A concurrent setup committed first (same marker row): report it as the rule it is.
    if (isUniqueViolation(error)) throw conflict('Setup is already done');
    throw error;
  }
}

/**
 * First run: creates the owner, the first workspace and a personal access token
 * named `setup`, in one transaction. Only when no user exists; of concurrent setups
 * exactly one succeeds, the others get CONFLICT.
 */
export async function setupFirstOwner(core: Core, input: SetupInput): Promise<SetupResult> {
  const { user, workspace, token } = await runSetup(core, input, false);
  return { user, workspace, token };
}

/** Setup for the console: the same as `setupFirstOwner`, plus a session for the cookie, atomically. */
export async function setupFirstOwnerAndSignIn(
  core: Core,
  input: SetupInput,
): Promise<SetupResult & { session: NewSession }> {
  const { user, workspace, token, session } = await runSetup(core, input, true);
  if (!session) throw new Error('setup did not create a session');
  return { user, workspace, token, session };
}

/** Input of a password login; `clientAddress` feeds the throttle. */
export interface LoginInput {
  email: string;
  password: string;
  clientAddress: string;
}

/**
 * The user whose email and password these are, or UNAUTHORIZED. A wrong password and an unknown
 * email get the same answer after the same scrypt work. Every attempt goes through the core's
 * login throttle: one at a time per email and per client address, slower after repeated failures,
 * within a bound on password checks running at once (TOO_MANY_REQUESTS beyond it).
 */
export async function checkPassword(core: Core, input: LoginInput) {
  const check = new InputCheck();
  const email = check.required('email', input.email, 'Email').toLowerCase();
  check.required('password', input.password, 'Password');
  // Refused before any hashing: no stored password is longer, and the work grows with the length.
  if (input.password.length > MAX_PASSWORD_LENGTH) check.fail('password', PASSWORD_TOO_LONG);
  check.done();

  const throttle = core.loginThrottle;
  const emailKey = `email:${email}`;
  let user: Awaited<ReturnType<typeof findUserRowByEmail>>;
  const matched = await throttle.attempt([emailKey, `address:${input.clientAddress}`], async () => {
    user = await findUserRowByEmail(core.db, email);
    return verifyPassword(input.password, user?.password_hash ?? (await dummyPasswordHash()));
  });
  if (!matched || !user) throw unauthorized('Wrong email or password');
  // Only the email's count is cleared: one good account must not reset an address that sprays guesses.
  throttle.reset([emailKey]);
  return user;
}

/** Checks a password and starts a session (see `checkPassword` for the throttle). */
export async function login(core: Core, input: LoginInput): Promise<NewSession & { user: UserView }> {
  const user = await checkPassword(core, input);
  const session = await createSessionRow(core.db, user.id);
  return { ...session, user: toUserView(user) };
}

/** Ends one session (the cookie stops working at once, and streams it opened end). */
export async function logout(core: Core, sessionId: string): Promise<void> {
  await deleteSession(core.db, sessionId);
  publishChange(core, SIGN_IN_CHANGE_SCOPE, 'sign-in', sessionId, 'session.end');
}

/**
 * The user of a session cookie, or null when unknown or expired. Use extends the
 * session (sliding expiry, capped), written at most once a minute.
 */
export async function authenticateSession(
  core: Core,
  sessionToken: string,
): Promise<{ userId: string; sessionId: string } | null> {
  if (!looksLikeSecret('sbs_', sessionToken)) return null;
  const session = await findSessionByHash(core.db, hashSecret(sessionToken));
  if (!session) return null;
  const now = Date.now();
  if (Date.parse(session.expires_at) <= now) {
    await deleteSession(core.db, session.id);
    return null;
  }
  if (isStale(session.last_used_at, now)) {
    const expiresAt = Math.min(now + SESSION_IDLE_MS, Date.parse(session.created_at) + SESSION_MAX_MS);
    await touchSession(core.db, session.id, new Date(now).toISOString(), new Date(expiresAt).toISOString());
  }
  return { userId: session.user_id, sessionId: session.id };
}

/** Neither revoked nor expired. */
const isTokenLive = (token: { revoked_at: string | null; expires_at: string | null }, now: number) =>
  token.revoked_at === null && (token.expires_at === null || Date.parse(token.expires_at) > now);

/** The user of a personal access token (`sbp_…`), or null when unknown, revoked or expired. */
export async function authenticatePersonalToken(
  core: Core,
  token: string,
): Promise<{ userId: string; tokenId: string; scopes: Permission[] | undefined } | null> {
  if (!looksLikeSecret('sbp_', token)) return null;
  const row = await findPersonalAccessTokenByHash(core.db, hashSecret(token));
  if (!row || !isTokenLive(row, Date.now())) return null;
  const now = Date.now();
  if (isStale(row.last_used_at, now))
    await touchPersonalAccessToken(core.db, row.id, new Date(now).toISOString());
  return { userId: row.user_id, tokenId: row.id, scopes: parseScopes(row.scopes) };
}

/** How a caller signed in: through one personal access token or one session. */
export interface SignIn {
  userId: string;
  /** The personal access token, when signed in by token. */
  tokenId?: string | undefined;
  /** The session, when signed in by cookie. */
  sessionId?: string | undefined;
}

/**
 * True while the token is not revoked, or the session not ended or expired. An in-process caller
 * (tests, the CLI) signed in through neither has nothing to revoke.
 */
export async function isSignedIn(core: Core, signIn: SignIn): Promise<boolean> {
  if (signIn.tokenId) {
    const token = await findPersonalAccessToken(core.db, signIn.userId, signIn.tokenId);
    return token !== undefined && isTokenLive(token, Date.now());
  }
  if (signIn.sessionId) {
    const session = await findSessionExpiry(core.db, signIn.sessionId);
    return session !== undefined && Date.parse(session.expires_at) > Date.now();
  }
  return true;
}

/**
 * Passes on what `source` yields while the caller is still signed in, and ends it otherwise:
 * a long-lived stream (the change feed) outlives the request that authenticated it, so a revoked
 * token or an ended session is checked again before each item, and nothing reaches it after.
 * A quiet stream ends too: each `sign-in` notice (a token revoked, a session ended, here or in
 * another process) or resync makes it check, and aborting `feed` (the controller whose signal
 * `source` listens to) ends `source` without waiting for its next item.
 */
export async function* whileSignedIn<T>(
  core: Core,
  signIn: SignIn,
  source: AsyncGenerator<T, void>,
  feed?: AbortController,
): AsyncGenerator<T, void> {
  const unsubscribe = feed
    ? core.changes.subscribe((event) => {
        if (event.kind !== 'sign-in' && !isResync(event)) return;
        isSignedIn(core, signIn).then(
          (still) => {
            if (!still) feed.abort();
          },
          // The database did not answer: the next notice (or the next item) checks again.
          () => undefined,
        );
      })
    : () => undefined;
  try {
    for await (const item of source) {
      if (!(await isSignedIn(core, signIn))) return;
      yield item;
    }
  } finally {
    unsubscribe();
    await source.return(undefined);
  }
}

/** The workspace of an API key (`sbk_…`), or null when unknown or revoked. */
export async function authenticateApiKey(
  core: Core,
  key: string,
): Promise<{ workspaceId: string; apiKeyId: string; name: string; limits: ApiKeyLimits } | null> {
  if (!looksLikeSecret('sbk_', key)) return null;
  const row = await findApiKeyByHash(core.db, hashSecret(key));
  if (!row || row.revoked_at !== null) return null;
  const now = Date.now();
  if (isStale(row.last_used_at, now)) await touchApiKey(core.db, row.id, new Date(now).toISOString());
  return { workspaceId: row.workspace_id, apiKeyId: row.id, name: row.name, limits: limitsOfRow(row) };
}

/** The user behind a verified id (for `me`); NOT_FOUND-free: a deleted user means signed out. */
export async function requireUser(core: Core, userId: string): Promise<UserView> {
  const row = await findUserRowById(core.db, userId);
  if (!row) throw unauthorized();
  return toUserView(row);
}
