import type { DbOrTrx } from '../db/schema.ts';

/** Usage events of one day, model, credential, API key and user, summed. */
export interface UsageGroupRow {
  day: string;
  provider: string;
  model: string;
  model_type: string;
  credential_id: string | null;
  api_key_id: string | null;
  user_id: string | null;
  calls: number | string;
  errors: number | string;
  tokens_in: number | string | null;
  tokens_out: number | string | null;
}

/** A workspace's usage between two ISO times, in one grouped query. */
export async function listUsageGroups(
  db: DbOrTrx,
  workspaceId: string,
  from: string,
  to: string,
): Promise<UsageGroupRow[]> {
  return (await db
    .selectFrom('usage_events')
    .select((eb) => [
      eb.fn<string>('substr', ['created_at', eb.val(1), eb.val(10)]).as('day'),
      'provider',
      'model',
      'model_type',
      'credential_id',
      'api_key_id',
      'user_id',
      eb.fn.countAll<number>().as('calls'),
      eb.fn.sum<number>(eb.case().when('outcome', '!=', 'ok').then(1).else(0).end()).as('errors'),
      eb.fn.sum<number>('tokens_in').as('tokens_in'),
      eb.fn.sum<number>('tokens_out').as('tokens_out'),
    ])
    .where('workspace_id', '=', workspaceId)
    .where('created_at', '>=', from)
    .where('created_at', '<=', to)
    .groupBy(['day', 'provider', 'model', 'model_type', 'credential_id', 'api_key_id', 'user_id'])
    .execute()) as UsageGroupRow[];
}

const idsOf = (values: (string | null)[]) => [...new Set(values.filter((id): id is string => id !== null))];

/** Names of the credentials the rows mention (removed ones are missing). */
export async function credentialNamesOf(db: DbOrTrx, rows: UsageGroupRow[]): Promise<Map<string, string>> {
  const ids = idsOf(rows.map((row) => row.credential_id));
  if (!ids.length) return new Map();
  const found = await db
    .selectFrom('provider_credentials')
    .select(['id', 'name'])
    .where('id', 'in', ids)
    .execute();
  return new Map(found.map((row) => [row.id, row.name]));
}

/** Names of the API keys the rows mention. */
export async function apiKeyNamesOf(db: DbOrTrx, rows: UsageGroupRow[]): Promise<Map<string, string>> {
  const ids = idsOf(rows.map((row) => row.api_key_id));
  if (!ids.length) return new Map();
  const found = await db.selectFrom('api_keys').select(['id', 'name']).where('id', 'in', ids).execute();
  return new Map(found.map((row) => [row.id, row.name]));
}
