import type { DbOrTrx, DefaultModelRow, Trx } from '../db/schema.ts';
import { affected } from './repository.ts';

// Queries on the workspace's default model per type.

/** The default of one type, if set. */
export function findDefault(
  db: DbOrTrx,
  workspaceId: string,
  type: string,
): Promise<DefaultModelRow | undefined> {
  return db
    .selectFrom('default_models')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('model_type', '=', type)
    .executeTakeFirst();
}

/** Points a type's default at a model: updates `current` if it is still at its version, or inserts. */
export async function writeDefault(
  trx: Trx,
  current: DefaultModelRow | undefined,
  target: { workspaceId: string; type: string; provider: string; model: string; at: string },
): Promise<boolean> {
  if (!current) {
    await trx
      .insertInto('default_models')
      .values({
        workspace_id: target.workspaceId,
        model_type: target.type,
        provider: target.provider,
        model: target.model,
        created_at: target.at,
        updated_at: target.at,
      })
      .execute();
    return true;
  }
  const result = await trx
    .updateTable('default_models')
    .set({
      provider: target.provider,
      model: target.model,
      updated_at: target.at,
      version: current.version + 1,
    })
    .where('workspace_id', '=', target.workspaceId)
    .where('model_type', '=', target.type)
    .where('version', '=', current.version)
    .executeTakeFirst();
  return affected(result) > 0;
}

/** Deletes a type's default if it is still at its version; false when someone changed it first. */
export async function deleteDefault(trx: Trx, current: DefaultModelRow): Promise<boolean> {
  const result = await trx
    .deleteFrom('default_models')
    .where('workspace_id', '=', current.workspace_id)
    .where('model_type', '=', current.model_type)
    .where('version', '=', current.version)
    .executeTakeFirst();
  return affected(result) > 0;
}

/** How many types' defaults point at a provider's models. */
export async function countProviderDefaults(
  db: DbOrTrx,
  workspaceId: string,
  provider: string,
): Promise<number> {
  const row = await db
    .selectFrom('default_models')
    .select((eb) => eb.fn.countAll<string | number>().as('count'))
    .where('workspace_id', '=', workspaceId)
    .where('provider', '=', provider)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}
