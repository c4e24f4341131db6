import type { DbOrTrx, StoredResponseRow } from '../db/schema.ts';

/** A stored response's row and its output items, written together. */
export interface NewStoredResponse {
  row: StoredResponseRow;
  items: { id: string; item: string }[];
}

/** Inserts a response and its output items (call inside a transaction). */
export async function insertStoredResponse(db: DbOrTrx, response: NewStoredResponse): Promise<void> {
  await db.insertInto('stored_responses').values(response.row).execute();
  if (response.items.length === 0) return;
  await db
    .insertInto('stored_response_items')
    .values(
      response.items.map((item) => ({
        workspace_id: response.row.workspace_id,
        id: item.id,
        response_id: response.row.id,
        item: item.item,
      })),
    )
    // An item id seen again (a client resending an item it was given) keeps its first response.
    .onConflict((conflict) => conflict.columns(['workspace_id', 'id']).doNothing())
    .execute();
}

/** A workspace's stored response that has not expired. */
export function findStoredResponse(
  db: DbOrTrx,
  workspaceId: string,
  id: string,
  now: string,
): Promise<StoredResponseRow | undefined> {
  return db
    .selectFrom('stored_responses')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .where('expires_at', '>', now)
    .executeTakeFirst();
}

/** An output item of a workspace's unexpired stored response, by the item's id. */
export async function findStoredItem(
  db: DbOrTrx,
  workspaceId: string,
  itemId: string,
  now: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('stored_response_items')
    .innerJoin('stored_responses', 'stored_responses.id', 'stored_response_items.response_id')
    .select('stored_response_items.item')
    .where('stored_response_items.workspace_id', '=', workspaceId)
    .where('stored_response_items.id', '=', itemId)
    .where('stored_responses.expires_at', '>', now)
    .executeTakeFirst();
  return row?.item;
}

/** Deletes a workspace's stored response and its items; false when there was none. */
export async function deleteStoredResponse(db: DbOrTrx, workspaceId: string, id: string): Promise<boolean> {
  await db
    .deleteFrom('stored_response_items')
    .where('workspace_id', '=', workspaceId)
    .where('response_id', '=', id)
    .execute();
  const result = await db
    .deleteFrom('stored_responses')
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Deletes every response that expired before `now`, with its items; returns how many. */
export async function deleteExpiredResponses(db: DbOrTrx, now: string): Promise<number> {
  const expired = db.selectFrom('stored_responses').select('id').where('expires_at', '<=', now);
  await db.deleteFrom('stored_response_items').where('response_id', 'in', expired).execute();
  const result = await db.deleteFrom('stored_responses').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** How many days the workspace keeps responses (undefined: no such workspace). */
export async function findRetentionDays(db: DbOrTrx, workspaceId: string): Promise<number | undefined> {
  const row = await db
    .selectFrom('workspaces')
    .select('response_retention_days')
    .where('id', '=', workspaceId)
    .executeTakeFirst();
  return row?.response_retention_days;
}

/** Sets how many days the workspace keeps responses. */
export async function updateRetentionDays(db: DbOrTrx, workspaceId: string, days: number): Promise<void> {
  await db
    .updateTable('workspaces')
    .set({ response_retention_days: days })
    .where('id', '=', workspaceId)
    .execute();
}
