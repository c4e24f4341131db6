import { sql } from 'kysely';
import type { CredentialCooldownRow, DbOrTrx, ProviderCredentialRow, Trx } from '../db/schema.ts';
import { notFound } from '../errors.ts';
import { affected } from './repository.ts';

// Queries on provider credentials and their cooldowns. Which key is active is the choice of its
// scope (the provider, or one custom model), not an edit of the key: those writes leave `version`.

/** Scope of a credential: '' for the provider, `type/model` for one custom model. */
export const credentialScope = (model: { name: string; type: string } | null | undefined): string =>
  model ? `${model.type}/${model.name}` : '';

/** One credential of the workspace, or NOT_FOUND. */
export async function getCredential(
  db: DbOrTrx,
  workspaceId: string,
  credentialId: string,
): Promise<ProviderCredentialRow> {
  const row = await db
    .selectFrom('provider_credentials')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', credentialId)
    .executeTakeFirst();
  if (!row) throw notFound('Credential');
  return row;
}

/** The credentials of one scope (provider, or one custom model), oldest first. */
export function listScopeCredentials(
  db: DbOrTrx,
  workspaceId: string,
  provider: string,
  scope: string,
): Promise<ProviderCredentialRow[]> {
  return db
    .selectFrom('provider_credentials')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('provider', '=', provider)
    .where('scope', '=', scope)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** The custom models' credentials of a provider (every scope but the provider's own), oldest first. */
export function listModelCredentials(
  db: DbOrTrx,
  workspaceId: string,
  provider: string,
): Promise<ProviderCredentialRow[]> {
  return db
    .selectFrom('provider_credentials')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('provider', '=', provider)
    .where('scope', '!=', '')
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** Whether another credential of the same scope already has `name`. */
export async function credentialNameTaken(
  trx: Trx,
  row: ProviderCredentialRow,
  name: string,
): Promise<boolean> {
  const clash = await trx
    .selectFrom('provider_credentials')
    .select('id')
    .where('workspace_id', '=', row.workspace_id)
    .where('provider', '=', row.provider)
    .where('scope', '=', row.scope)
    .where('name', '=', name)
    .where('id', '!=', row.id)
    .executeTakeFirst();
  return clash !== undefined;
}

/** How many credentials (provider and model ones) a provider has in the workspace. */
export async function countProviderCredentials(
  db: DbOrTrx,
  workspaceId: string,
  provider: string,
): Promise<number> {
  const row = await db
    .selectFrom('provider_credentials')
    .select((eb) => eb.fn.countAll<string | number>().as('count'))
    .where('workspace_id', '=', workspaceId)
    .where('provider', '=', provider)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Stores a new credential row. */
export async function insertCredentialRow(trx: Trx, row: ProviderCredentialRow): Promise<void> {
  await trx.insertInto('provider_credentials').values(row).execute();
}

/** Changes a credential's name or values if it is still at `version`; false when someone changed it first. */
export async function updateCredentialRow(
  trx: Trx,
  row: ProviderCredentialRow,
  changes: Partial<
    Pick<
      ProviderCredentialRow,
      | 'name'
      | 'plain_values'
      | 'sealed_values'
      | 'masked_values'
      | 'status'
      | 'status_reason'
      | 'validated_at'
      | 'last_valid_at'
    >
  > & { updated_at: string },
): Promise<boolean> {
  const result = await trx
    .updateTable('provider_credentials')
    .set({ ...changes, version: row.version + 1 })
    .where('id', '=', row.id)
    .where('version', '=', row.version)
    .executeTakeFirst();
  return affected(result) > 0;
}

/** Records the outcome of a real call with a credential (a fact about the key, not an edit: no new version). */
export async function setCredentialStatusRow(
  trx: Trx,
  credentialId: string,
  status: {
    status: 'valid' | 'invalid';
    status_reason: string | null;
    validated_at: string;
    last_valid_at?: string;
  },
): Promise<void> {
  await trx.updateTable('provider_credentials').set(status).where('id', '=', credentialId).execute();
}

/**
 * Makes `row` the active credential of its scope and returns the ids of those it replaced.
 * Neither key's version moves: nobody edited them.
 */
export async function makeActive(trx: Trx, row: ProviderCredentialRow): Promise<string[]> {
  const previous = await trx
    .selectFrom('provider_credentials')
    .select('id')
    .where('workspace_id', '=', row.workspace_id)
    .where('provider', '=', row.provider)
    .where('scope', '=', row.scope)
    .where('is_active', '=', 1)
    .where('id', '!=', row.id)
    .execute();
  const ids = previous.map((other) => other.id);
  if (ids.length > 0)
    await trx.updateTable('provider_credentials').set({ is_active: 0 }).where('id', 'in', ids).execute();
  // Always written, and it must still exist: a credential removed by a transaction that
  // committed meanwhile (PostgreSQL reads committed rows per statement) would otherwise leave
  // its scope with no active key.
  const activated = await trx
    .updateTable('provider_credentials')
    .set({ is_active: 1 })
    .where('id', '=', row.id)
    .executeTakeFirst();
  if (Number(activated.numUpdatedRows) !== 1) throw notFound('Credential');
  return ids;
}

/** Deletes a credential (and its cooldown) if it is still at `version`; false when someone changed it first. */
export async function deleteCredentialRow(trx: Trx, row: ProviderCredentialRow): Promise<boolean> {
  await trx.deleteFrom('credential_cooldowns').where('credential_id', '=', row.id).execute();
  const result = await trx
    .deleteFrom('provider_credentials')
    .where('id', '=', row.id)
    .where('version', '=', row.version)
    .executeTakeFirst();
  return affected(result) > 0;
}

/** Deletes every credential of a provider with their cooldowns; returns how many there were. */
export async function deleteProviderCredentials(
  trx: Trx,
  workspaceId: string,
  provider: string,
): Promise<number> {
  await trx
    .deleteFrom('credential_cooldowns')
    .where('workspace_id', '=', workspaceId)
    .where('credential_id', 'in', (eb) =>
      eb
        .selectFrom('provider_credentials')
        .select('id')
        .where('workspace_id', '=', workspaceId)
        .where('provider', '=', provider),
    )
    .execute();
  const result = await trx
    .deleteFrom('provider_credentials')
    .where('workspace_id', '=', workspaceId)
    .where('provider', '=', provider)
    .executeTakeFirst();
  return affected(result);
}

/** The workspace's stored cooldowns, by credential id. */
export async function cooldownsById(
  db: DbOrTrx,
  workspaceId: string,
): Promise<Map<string, CredentialCooldownRow>> {
  const rows = await db
    .selectFrom('credential_cooldowns')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .execute();
  return new Map(rows.map((row) => [row.credential_id, row]));
}

/** Until when a credential rests, as stored (epoch ms; 0 when it does not rest). */
export async function storedRestUntil(db: DbOrTrx, credentialId: string): Promise<number> {
  const row = await db
    .selectFrom('credential_cooldowns')
    .select('until')
    .where('credential_id', '=', credentialId)
    .executeTakeFirst();
  return row ? Date.parse(row.until) : 0;
}

/** Ends a credential's stored cooldown (its key changed, or a real call proved it again). */
export async function deleteCooldown(db: DbOrTrx, credentialId: string): Promise<void> {
  await db.deleteFrom('credential_cooldowns').where('credential_id', '=', credentialId).execute();
}

/** Stores a credential's cooldown, counting one more failure when it already rests. */
export function upsertCooldown(
  db: DbOrTrx,
  cooldown: { workspaceId: string; credentialId: string; until: string; reason: string; at: string },
): Promise<{ until: string; failures: number }> {
  return db
    .insertInto('credential_cooldowns')
    .values({
      credential_id: cooldown.credentialId,
      workspace_id: cooldown.workspaceId,
      until: cooldown.until,
      reason: cooldown.reason,
      failures: 1,
      updated_at: cooldown.at,
    })
    .onConflict((conflict) =>
      conflict.column('credential_id').doUpdateSet({
        until: cooldown.until,
        reason: cooldown.reason,
        failures: sql<number>`credential_cooldowns.failures + 1`,
        updated_at: cooldown.at,
      }),
    )
    .returning(['until', 'failures'])
    .executeTakeFirstOrThrow();
}

/** A credential with the times it last worked, as `listCredentialSuccesses` reads them. */
export interface CredentialSuccessRow {
  id: string;
  /** When a real check last found it valid. */
  last_valid_at: string | null;
  /** When the gateway last finished a call with it successfully. */
  last_call_at: string | null;
}

/**
 * Every credential of the workspace with its last passing check and its last successful
 * gateway call, in one query. The call's time is a correlated `max` that
 * `usage_events_credential_outcome_idx` answers with one index seek per credential on both
 * engines, however many events the workspace has (credential ids are unique across workspaces).
 * The query is exported apart so a test can read its plan.
 */
export function credentialSuccessesQuery(db: DbOrTrx, workspaceId: string) {
  return db
    .selectFrom('provider_credentials as credential')
    .select((eb) => [
      'credential.id',
      'credential.last_valid_at',
      eb
        .selectFrom('usage_events as event')
        .select((inner) => inner.fn.max('event.created_at').as('at'))
        .whereRef('event.credential_id', '=', 'credential.id')
        .where('event.outcome', '=', 'ok')
        .as('last_call_at'),
    ])
    .where('credential.workspace_id', '=', workspaceId)
    .orderBy('credential.id');
}

/** Runs `credentialSuccessesQuery`. */
export function listCredentialSuccesses(db: DbOrTrx, workspaceId: string): Promise<CredentialSuccessRow[]> {
  return credentialSuccessesQuery(db, workspaceId).execute();
}
