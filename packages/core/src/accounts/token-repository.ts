import type { Insertable, Updateable } from 'kysely';
import type { ApiKeyRow, ApiKeysTable, DbOrTrx, PersonalAccessTokenRow } from '../db/schema.ts';
import { conflict } from '../errors.ts';

/** Stores a new personal access token (its secret only as a hash). */
export async function insertPersonalAccessToken(db: DbOrTrx, row: PersonalAccessTokenRow): Promise<void> {
  await db.insertInto('personal_access_tokens').values(row).execute();
}

/** What authentication needs of the token whose secret hashes to `tokenHash`. */
export function findPersonalAccessTokenByHash(db: DbOrTrx, tokenHash: string) {
  return db
    .selectFrom('personal_access_tokens')
    .select(['id', 'user_id', 'last_used_at', 'revoked_at', 'expires_at', 'scopes'])
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
}

/** One of a user's tokens; another user's token is not found. */
export function findPersonalAccessToken(
  db: DbOrTrx,
  userId: string,
  tokenId: string,
): Promise<PersonalAccessTokenRow | undefined> {
  return db
    .selectFrom('personal_access_tokens')
    .selectAll()
    .where('id', '=', tokenId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

/** A user's tokens, newest first. */
export function listPersonalAccessTokenRows(db: DbOrTrx, userId: string): Promise<PersonalAccessTokenRow[]> {
  return db
    .selectFrom('personal_access_tokens')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
}

/** Marks a token revoked. */
export async function setPersonalAccessTokenRevoked(db: DbOrTrx, tokenId: string, at: string): Promise<void> {
  await db.updateTable('personal_access_tokens').set({ revoked_at: at }).where('id', '=', tokenId).execute();
}

/** Revokes every live token of a user; returns how many. */
export async function revokePersonalAccessTokensOfUser(
  db: DbOrTrx,
  userId: string,
  at: string,
): Promise<number> {
  const result = await db
    .updateTable('personal_access_tokens')
    .set({ revoked_at: at })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Records the last use of a token. */
export async function touchPersonalAccessToken(db: DbOrTrx, tokenId: string, at: string): Promise<void> {
  await db
    .updateTable('personal_access_tokens')
    .set({ last_used_at: at })
    .where('id', '=', tokenId)
    .execute();
}

/** Stores a new API key (its secret only as a hash). */
export async function insertApiKey(db: DbOrTrx, row: Insertable<ApiKeysTable>): Promise<void> {
  await db.insertInto('api_keys').values(row).execute();
}

/** What authentication needs of the API key whose secret hashes to `tokenHash`. */
export function findApiKeyByHash(db: DbOrTrx, tokenHash: string) {
  return db
    .selectFrom('api_keys')
    .select([
      'id',
      'workspace_id',
      'name',
      'last_used_at',
      'revoked_at',
      'models',
      'credential_pins',
      'requests_per_minute',
      'tokens_per_minute',
      'monthly_budget_nanos',
    ])
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
}

/** One of a workspace's API keys; another workspace's key is not found. */
export function findApiKey(
  db: DbOrTrx,
  workspaceId: string,
  apiKeyId: string,
): Promise<ApiKeyRow | undefined> {
  return db
    .selectFrom('api_keys')
    .selectAll()
    .where('id', '=', apiKeyId)
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
}

/** A workspace's API keys, newest first. */
export function listApiKeyRows(db: DbOrTrx, workspaceId: string): Promise<ApiKeyRow[]> {
  return db
    .selectFrom('api_keys')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
}

/** The live API keys of a workspace that one user created. */
export function listActiveApiKeyRowsCreatedBy(
  db: DbOrTrx,
  workspaceId: string,
  createdBy: string,
): Promise<ApiKeyRow[]> {
  return db
    .selectFrom('api_keys')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('created_by', '=', createdBy)
    .where('revoked_at', 'is', null)
    .orderBy('created_at')
    .execute();
}

/** Marks an API key revoked. */
export async function setApiKeyRevoked(db: DbOrTrx, apiKeyId: string, at: string): Promise<void> {
  await db.updateTable('api_keys').set({ revoked_at: at }).where('id', '=', apiKeyId).execute();
}

/** Records the last use of an API key. */
export async function touchApiKey(db: DbOrTrx, apiKeyId: string, at: string): Promise<void> {
  await db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', apiKeyId).execute();
}

/** Writes a key's name and limits if its version is still `version` (CONFLICT otherwise). */
export async function updateApiKeyRow(
  db: DbOrTrx,
  apiKeyId: string,
  version: number,
  columns: Updateable<ApiKeysTable>,
): Promise<void> {
  const result = await db
    .updateTable('api_keys')
    .set(columns)
    .where('id', '=', apiKeyId)
    .where('version', '=', version)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1)
    throw conflict('This API key was changed meanwhile; reload and try again');
}
