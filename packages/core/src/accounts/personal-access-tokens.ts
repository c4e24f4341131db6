import type { Actor } from '../access.ts';
import type { Core } from '../core.ts';
import { forbidden, notFound } from '../errors.ts';
import { newId, nowIso } from '../ids.ts';
import { InputCheck } from '../service/input.ts';
import { mutate } from '../service/mutate.ts';
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

/** Creates a personal access token for the acting user; `token` is the only time the secret is ever shown. */
export async function createPersonalAccessToken(
  core: Core,
  actor: Actor,
  input: { name: string },
): Promise<{ token: string; view: TokenView }> {
  const check = new InputCheck();
  const name = check.name('name', input.name, 'Token name');
  check.done();
  const userId = ownerOf(actor);
  return mutate(core, actor, null, async (trx, record) => {
    if (!(await findUserRowById(trx, userId))) throw notFound('User');
    const secret = newSecret('sbp_');
    const row = {
      id: newId('pat'),
      user_id: userId,
      name,
      token_hash: secret.hash,
      token_prefix: secret.prefix,
      created_at: nowIso(),
      last_used_at: null,
      revoked_at: null,
    };
    await insertPersonalAccessToken(trx, row);
    const view = toTokenView(row);
    await record({
      action: 'token.create',
      targetType: 'personal_access_token',
      targetId: row.id,
      details: { name: view.name, prefix: view.prefix },
    });
    return { token: secret.secret, view };
  });
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
      action: 'token.revoke',
      targetType: 'personal_access_token',
      targetId: row.id,
      details: { name: row.name },
    });
    return toTokenView({ ...row, revoked_at: now });
  });
}
