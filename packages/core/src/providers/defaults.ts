import type { ModelType } from '@switchboard/providers/spec';
import type { Actor } from '../access.ts';
import type { Core } from '../core.ts';
import { badRequest, notFound } from '../errors.ts';
import { nowIso } from '../ids.ts';
import { loadState } from './catalog.ts';
import { authorize } from '../service/authorize.ts';
import { mutate } from '../service/mutate.ts';
import { affected, checkVersion, staleRecord } from './repository.ts';
import { modelKey, modelStatus, type WorkspaceProviderState } from './state.ts';
import { DEFAULT_MODEL_TYPES, type DefaultModelView } from './types.ts';

/** Each default's status, computed from a state: a removed or disabled model is reported, never replaced. */
export function defaultViews(
  state: WorkspaceProviderState,
  nowMs: number,
): Record<ModelType, DefaultModelView | null> {
  const result = Object.fromEntries(DEFAULT_MODEL_TYPES.map((type) => [type, null])) as Record<
    ModelType,
    DefaultModelView | null
  >;
  for (const row of state.rows.defaults) {
    const type = row.model_type as ModelType;
    const base = {
      type,
      provider: row.provider as DefaultModelView['provider'],
      model: row.model,
      version: row.version,
    };
    const model = state.modelsByKey.get(modelKey(row.provider, type, row.model));
    if (!state.providers.has(row.provider)) {
      result[type] = {
        ...base,
        status: 'provider-removed',
        reason: `${row.provider} is no longer installed; pick another default`,
      };
    } else if (!model) {
      result[type] = {
        ...base,
        status: 'model-removed',
        reason: `${row.provider}/${row.model} was removed; re-add it or pick another default`,
      };
    } else {
      const { status, reason } = modelStatus(state, model, nowMs);
      result[type] = { ...base, status, reason };
    }
  }
  return result;
}

/** The workspace's default model of each type, with status; reading never writes. */
export async function getDefaultModels(
  core: Core,
  actor: Actor,
  input: { workspaceId: string },
): Promise<Record<ModelType, DefaultModelView | null>> {
  await authorize(core, actor, input.workspaceId, false);
  return defaultViews(await loadState(core, input.workspaceId), Date.now());
}

/**
 * Sets (or with `model: null` clears) the default of a type. The model must exist,
 * be of that type, be enabled and usable.
 */
export async function setDefaultModel(
  core: Core,
  actor: Actor,
  input: {
    workspaceId: string;
    type: ModelType;
    provider?: string | undefined;
    model: string | null;
    version?: number | undefined;
  },
): Promise<DefaultModelView | null> {
  await authorize(core, actor, input.workspaceId, true);
  if (!(DEFAULT_MODEL_TYPES as readonly string[]).includes(input.type))
    throw badRequest(`No default for ${input.type} models`);
  const state = await loadState(core, input.workspaceId);
  const current = state.rows.defaults.find((row) => row.model_type === input.type);
  if (input.model !== null) {
    if (!input.provider)
      throw badRequest('Name the provider of the default model', { provider: ['Provider is required'] });
    const model = state.modelsByKey.get(modelKey(input.provider, input.type, input.model));
    if (!model) throw notFound(`${input.type} model ${input.provider}/${input.model}`);
    const { status, reason } = modelStatus(state, model, Date.now());
    if (status !== 'active' && status !== 'cooling-down') {
      throw badRequest(`${input.provider}/${input.model} cannot be the default: ${reason}`, {
        model: [reason],
      });
    }
  }
  await mutate(core, actor, input.workspaceId, async (trx, record) => {
    const now = nowIso();
    if (current) checkVersion(`The default ${input.type} model`, current.version, input.version);
    else if (input.version !== undefined && input.version !== 0)
      checkVersion(`The default ${input.type} model`, 0, input.version);
    if (input.model === null) {
      if (current)
        await trx
          .deleteFrom('default_models')
          .where('workspace_id', '=', input.workspaceId)
          .where('model_type', '=', input.type)
          .execute();
    } else if (current) {
      const result = await trx
        .updateTable('default_models')
        .set({
          provider: input.provider as string,
          model: input.model,
          updated_at: now,
          version: current.version + 1,
        })
        .where('workspace_id', '=', input.workspaceId)
        .where('model_type', '=', input.type)
        .where('version', '=', current.version)
        .executeTakeFirst();
      if (affected(result) === 0) throw staleRecord(`The default ${input.type} model`);
    } else {
      await trx
        .insertInto('default_models')
        .values({
          workspace_id: input.workspaceId,
          model_type: input.type,
          provider: input.provider as string,
          model: input.model,
          created_at: now,
          updated_at: now,
        })
        .execute();
    }
    await record({
      kind: 'default',
      action: input.model === null ? 'default.clear' : 'default.set',
      targetType: 'default',
      targetId: input.type,
      details: {
        type: input.type,
        provider: input.provider ?? null,
        model: input.model,
        previous: current ? `${current.provider}/${current.model}` : null,
      },
    });
  });
  const views = defaultViews(await loadState(core, input.workspaceId), Date.now());
  return views[input.type];
}
