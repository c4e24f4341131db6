import { type Actor, assertScope, type Permission, TOKEN_SCOPES } from '../access.ts';
import type { Core } from '../core.ts';
import { forbidden, notFound } from '../errors.ts';
import { newId, nowIso } from '../ids.ts';
import { InputCheck } from '../service/input.ts';
import { mutate } from '../service/mutate.ts';
import { checkPassword, type LoginInput } from './auth.ts';
import { newSecret } from './secrets.ts';
import {
  findPersonalAccessToken,
  insertPersonalAccessToken,
  listPersonalAccessTokenRows,
  setPersonalAccessTokenRevoked,
} from './token-repository.ts';
import { findUserRowById } from './user-repository.ts';
import { type TokenView, toTokenView } from './views.ts';

/** Personal access tokens belong to a user: only a user (the console, the client, or the CLI naming one) has them. */
function ownerOf(actor: Actor): string {
  if (actor.kind !== 'user') throw forbidden('Personal access tokens belong to a user; act as that user');
  return actor.userId;
}

/** Longest life of a token, in days. */
export const MAX_TOKEN_DAYS = 365;
/** Life of a token minted from a password when none is asked for, in days. */
export const DEFAULT_PASSWORD_TOKEN_DAYS = 90;

/** Input of a new personal access token. */
export interface TokenInput {
  name: string;
  /** Days until the token stops working by itself (1 to 365); omitted: it never expires. */
  expiresInDays?: number | undefined;
  /**
   * Permissions the token is limited to (`read`, `api-keys.own`, `manage`), within its user's
   * role; omitted: whatever the role allows (a token made by a scoped token: that token's scopes).
   */
  scopes?: readonly string[] | undefined;
}

/** The token name, expiry and scopes, checked together so one answer names every bad field. */
function checkTokenInput(input: TokenInput) {
  const check = new InputCheck();
  const name = check.name('name', input.name, 'Token name');
  const days = input.expiresInDays;
  if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > MAX_TOKEN_DAYS)) {
    check.fail('expiresInDays', `Expiry must be a whole number of days from 1 to ${MAX_TOKEN_DAYS}`);
  }
  const scopes = input.scopes === undefined ? undefined : [...new Set(input.scopes)];
  if (scopes !== undefined) {
    const unknown = scopes.filter((scope) => !(TOKEN_SCOPES as string[]).includes(scope));
    if (scopes.length === 0) check.fail('scopes', `Give at least one scope: ${TOKEN_SCOPES.join(', ')}`);
    else if (unknown.length > 0)
      check.fail('scopes', `Unknown scope ${unknown.join(', ')}; scopes are ${TOKEN_SCOPES.join(', ')}`);
  }
  check.done();
  const expiresAt = days === undefined ? null : new Date(Date.now() + days * 86_400_000).toISOString();
  return { name, expiresAt, scopes: scopes as Permission[] | undefined };
}

interface NewToken {
  name: string;
  expiresAt: string | null;
  scopes: Permission[] | undefined;
}

async function insertToken(core: Core, actor: Actor, token: NewToken) {
  const userId = ownerOf(actor);
  // A scoped token can mint tokens only within its own scopes (else `read` would lead to `manage`).
  const callerScopes = actor.kind === 'user' ? actor.scopes : undefined;
  const scopes = token.scopes ?? callerScopes;
  for (const scope of scopes ?? TOKEN_SCOPES) assertScope(actor, scope);
  const stored =
    scopes === undefined ? null : TOKEN_SCOPES.filter((scope) => scopes.includes(scope)).join(' ');
  return mutate(core, actor, null, async (trx, record) => {
    if (!(await findUserRowById(trx, userId))) throw notFound('User');
    const secret = newSecret('sbp_');
    const row = {
      id: newId('pat'),
      user_id: userId,
      name: token.name,
      token_hash: secret.hash,
      token_prefix: secret.prefix,
      created_at: nowIso(),
      last_used_at: null,
      revoked_at: null,
      expires_at: token.expiresAt,
      scopes: stored,
    };
    await insertPersonalAccessToken(trx, row);
    const view = toTokenView(row);
    await record({
      action: 'token.create',
      targetType: 'personal_access_token',
      targetId: row.id,
      details: { name: view.name, prefix: view.prefix, expiresAt: token.expiresAt, scopes: view.scopes },
    });
    return { token: secret.secret, view };
  });
}

/** Creates a personal access token for the acting user; `token` is the only time the secret is ever shown. */
export async function createPersonalAccessToken(
  core: Core,
  actor: Actor,
  input: TokenInput,
): Promise<{ token: string; view: TokenView }> {
  return insertToken(core, actor, checkTokenInput(input));
}

/** Input of `createTokenWithPassword`: the sign-in, the client address for the throttle, the token. */
export interface PasswordTokenInput extends LoginInput, TokenInput {}

/**
 * A personal access token for whoever these email and password belong to, for a script or an
 * editor that has neither the CLI nor a browser. The password is checked exactly as a login is
 * (through the same throttle); the token expires after `expiresInDays` (90 by default).
 */
export async function createTokenWithPassword(
  core: Core,
  input: PasswordTokenInput,
): Promise<{ token: string; view: TokenView }> {
  // Cheap checks first: a bad name or expiry costs no password check.
  const token = checkTokenInput({
    name: input.name,
    expiresInDays: input.expiresInDays ?? DEFAULT_PASSWORD_TOKEN_DAYS,
    scopes: input.scopes,
  });
  const user = await checkPassword(core, input);
  return insertToken(core, { kind: 'user', userId: user.id }, token);
}

/** The acting user's tokens, revoked ones included, newest first. */
export async function listPersonalAccessTokens(core: Core, actor: Actor): Promise<TokenView[]> {
  return (await listPersonalAccessTokenRows(core.db, ownerOf(actor))).map(toTokenView);
}

/** Revokes one of the acting user's tokens (another user's token is NOT_FOUND). Revoking twice is harmless. */
export async function revokePersonalAccessToken(
  core: Core,
  actor: Actor,
  input: { tokenId: string },
): Promise<TokenView> {
  const check = new InputCheck();
  const tokenId = check.required('tokenId', input.tokenId, 'Token');
  check.done();
  const userId = ownerOf(actor);
  return mutate(core, actor, null, async (trx, record) => {
    const row = await findPersonalAccessToken(trx, userId, tokenId);
    if (!row) throw notFound('Token');
    if (row.revoked_at !== null) return toTokenView(row);
    const now = nowIso();
    await setPersonalAccessTokenRevoked(trx, row.id, now);
    await record({
      kind: 'sign-in',
      action: 'token.revoke',
      targetType: 'personal_access_token',
      targetId: row.id,
      details: { name: row.name },
    });
    return toTokenView({ ...row, revoked_at: now });
  });
}
