import type { Trx } from '../db/schema.ts';
import { notFound } from '../errors.ts';
import { nowIso } from '../ids.ts';
import {
  bumpCustomModel,
  findCustomModel,
  findModelSetting,
  insertModelSetting,
  type ModelSettingChanges,
  updateModelSetting,
} from './model-repository.ts';
import { checkVersion, staleRecord } from './repository.ts';
import { type ModelState, modelKey, type WorkspaceProviderState } from './state.ts';
import type { ModelRef } from './types.ts';

// What enabling a model and its load balancing share: finding the model, and one settings write
// that checks and moves the model's own version.

/** Finds a model of the workspace in a loaded state, or NOT_FOUND. */
export function findModel(state: WorkspaceProviderState, provider: string, model: ModelRef): ModelState {
  const found = state.modelsByKey.get(modelKey(provider, model.type, model.name));
  if (!found) throw notFound(`Model ${provider}/${model.name} (${model.type})`);
  return found;
}

/**
 * Changes a model's settings (creating the row on the first change) after checking the
 * model's version, and returns its new version. A model's version is its own record's: the
 * custom model row for a custom model (moved here too), the settings row for a predefined one.
 */
export async function changeModelSettings(
  trx: Trx,
  workspaceId: string,
  provider: string,
  model: ModelRef,
  expectedVersion: number | undefined,
  changes: ModelSettingChanges,
): Promise<number> {
  const custom = await findCustomModel(trx, workspaceId, provider, model);
  const owner = custom && custom.removed_at === null ? custom : undefined;
  const setting = await findModelSetting(trx, workspaceId, provider, model);
  const version = owner ? owner.version : (setting?.version ?? 0);
  checkVersion('This model', version, expectedVersion);
  const now = nowIso();
  if (!setting) await insertModelSetting(trx, workspaceId, provider, model, changes, now);
  else if (!(await updateModelSetting(trx, setting, changes, now))) throw staleRecord('This model');
  if (owner && !(await bumpCustomModel(trx, owner, now))) throw staleRecord('This model');
  return version + 1;
}
