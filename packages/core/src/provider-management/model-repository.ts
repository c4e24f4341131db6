import type { CustomModelRow, DbOrTrx, ModelSettingRow, Trx } from '../db/schema.ts';
import { newId } from '../ids.ts';
import { affected } from './repository.ts';

// Queries on custom models and per-model settings. A model's version is its own record's:
// the custom model row for a custom model, the settings row for a predefined one.

/** A model within a provider, as the tables key it. */
type ModelKey = { name: string; type: string };

/** The custom model row `(provider, model, type)`, removed or not. */
export function findCustomModel(
  db: DbOrTrx,
  workspaceId: string,
  provider: string,
  model: ModelKey,
): Promise<CustomModelRow | undefined> {
  return db
    .selectFrom('custom_models')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('provider', '=', provider)
    .where('model', '=', model.name)
    .where('model_type', '=', model.type)
    .executeTakeFirst();
}

/** Every custom model of a provider, removed ones included, oldest first. */
export function listCustomModels(
  db: DbOrTrx,
  workspaceId: string,
  provider: string,
): Promise<CustomModelRow[]> {
  return db
    .selectFrom('custom_models')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('provider', '=', provider)
    .orderBy('created_at')
    .execute();
}

/** Stores a new custom model row. */
export async function insertCustomModel(trx: Trx, row: CustomModelRow): Promise<void> {
  await trx.insertInto('custom_models').values(row).execute();
}

/**
 * Moves a custom model to its next version (marking it removed or back when `removedAt` is
 * given, setting its price column when `pricing` is given) if it is still at `row.version`;
 * false when someone changed it first.
 */
export async function bumpCustomModel(
  trx: Trx,
  row: CustomModelRow,
  at: string,
  removedAt?: string | null,
  pricing?: string | null,
): Promise<boolean> {
  const result = await trx
    .updateTable('custom_models')
    .set({
      ...(removedAt !== undefined ? { removed_at: removedAt } : {}),
      ...(pricing !== undefined ? { pricing } : {}),
      updated_at: at,
      version: row.version + 1,
    })
    .where('id', '=', row.id)
    .where('version', '=', row.version)
    .executeTakeFirst();
  return affected(result) > 0;
}

/** Deletes a custom model row and its settings. */
export async function deleteCustomModel(trx: Trx, row: CustomModelRow): Promise<void> {
  await trx.deleteFrom('custom_models').where('id', '=', row.id).execute();
  await trx
    .deleteFrom('model_settings')
    .where('workspace_id', '=', row.workspace_id)
    .where('provider', '=', row.provider)
    .where('model', '=', row.model)
    .where('model_type', '=', row.model_type)
    .execute();
}

/** The settings row of one model, if it was ever changed. */
export function findModelSetting(
  db: DbOrTrx,
  workspaceId: string,
  provider: string,
  model: ModelKey,
): Promise<ModelSettingRow | undefined> {
  return db
    .selectFrom('model_settings')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('provider', '=', provider)
    .where('model', '=', model.name)
    .where('model_type', '=', model.type)
    .executeTakeFirst();
}

/** What a settings write may change. */
export type ModelSettingChanges = Partial<
  Pick<ModelSettingRow, 'enabled' | 'load_balancing_enabled' | 'load_balancing'>
>;

/** Creates a model's settings row (first change; it starts at version 1). */
export async function insertModelSetting(
  trx: Trx,
  workspaceId: string,
  provider: string,
  model: ModelKey,
  changes: ModelSettingChanges,
  at: string,
): Promise<void> {
  await trx
    .insertInto('model_settings')
    .values({
      id: newId('mdl'),
      workspace_id: workspaceId,
      provider,
      model: model.name,
      model_type: model.type,
      enabled: changes.enabled ?? 1,
      load_balancing_enabled: changes.load_balancing_enabled ?? 0,
      load_balancing: changes.load_balancing ?? '[]',
      created_at: at,
      updated_at: at,
    })
    .execute();
}

/** Changes a settings row if it is still at `row.version`; false when someone changed it first. */
export async function updateModelSetting(
  trx: Trx,
  row: ModelSettingRow,
  changes: ModelSettingChanges,
  at: string,
): Promise<boolean> {
  const result = await trx
    .updateTable('model_settings')
    .set({ ...changes, updated_at: at, version: row.version + 1 })
    .where('id', '=', row.id)
    .where('version', '=', row.version)
    .executeTakeFirst();
  return affected(result) > 0;
}

/** Settings rows of a provider whose load balancing mentions a credential. */
export function listSettingsUsingCredential(
  trx: Trx,
  workspaceId: string,
  provider: string,
  credentialId: string,
): Promise<ModelSettingRow[]> {
  return trx
    .selectFrom('model_settings')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('provider', '=', provider)
    .where('load_balancing', 'like', `%${credentialId}%`)
    .execute();
}

/** Deletes every custom model and setting of a provider; returns how many custom models there were. */
export async function deleteProviderModels(trx: Trx, workspaceId: string, provider: string): Promise<number> {
  const models = await trx
    .deleteFrom('custom_models')
    .where('workspace_id', '=', workspaceId)
    .where('provider', '=', provider)
    .executeTakeFirst();
  await trx
    .deleteFrom('model_settings')
    .where('workspace_id', '=', workspaceId)
    .where('provider', '=', provider)
    .execute();
  return affected(models);
}
