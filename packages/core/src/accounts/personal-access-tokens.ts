import { recordAudit } from '../audit.ts';
import type { Core } from '../core.ts';
import { notFound } from '../errors.ts';
import { newId, nowIso } from '../ids.ts';
import { newSecret } from './secrets.ts';
import {
  findPersonalAccessToken,
  insertPersonalAccessToken,
  listPersonalAccessTokenRows,
  setPersonalAccessTokenRevoked,
} from './token-repository.ts';
import { findUserRowById } from './user-repository.ts';
import { InputCheck } from './validation.ts';
import { type TokenView, toTokenView } from './views.ts';

/** Creates a personal access token; `token` is the only time the secret is ever shown. */
export async function createPersonalAccessToken(
  core: Core,
  userId: string,
  name: string,
): Promise<{ token: string; view: TokenView }> {
  const check = new InputCheck();
  const tokenName = check.name('name', name, 'Token name');
  check.done();
  return core.db.transaction().execute(async (trx) => {
    if (!(await findUserRowById(trx, userId))) throw notFound('User');
    const secret = newSecret('sbp_');
    const row = {
      id: newId('pat'),
      user_id: userId,
      name: tokenName,
      token_hash: secret.hash,
      token_prefix: secret.prefix,
      created_at: nowIso(),
      last_used_at: null,
      revoked_at: null,
    };
    await insertPersonalAccessToken(trx, row);
    const view = toTokenView(row);
    await recordAudit(trx, {
      workspaceId: null,
      actor: { kind: 'user', userId },
      action: 'token.create',
      targetType: 'personal_access_token',
      targetId: row.id,
      details: { name: view.name, prefix: view.prefix },
    });
    return { token: secret.secret, view };
  });
}

/** The user's tokens, revoked ones included, newest first. */
export async function listPersonalAccessTokens(core: Core, userId: string): Promise<TokenView[]> {
  return (await listPersonalAccessTokenRows(core.db, userId)).map(toTokenView);
}

/** Revokes one of the user's tokens (another user's token is NOT_FOUND). Revoking twice is harmless. */
export async function revokePersonalAccessToken(
  core: Core,
  userId: string,
  tokenId: string,
): Promise<TokenView> {
  return core.db.transaction().execute(async (trx) => {
    const row = await findPersonalAccessToken(trx, userId, tokenId);
    if (!row) throw notFound('Token');
    if (row.revoked_at !== null) return toTokenView(row);
    const now = nowIso();
    await setPersonalAccessTokenRevoked(trx, row.id, now);
    await recordAudit(trx, {
      workspaceId: null,
      actor: { kind: 'user', userId },
      action: 'token.revoke',
      targetType: 'personal_access_token',
      targetId: row.id,
      details: { name: row.name },
    });
    return toTokenView({ ...row, revoked_at: now });
  });
}
