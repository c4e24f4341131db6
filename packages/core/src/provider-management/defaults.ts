import type { ModelType } from '@switchboard/provider-spec';
import type { Actor } from '../access.ts';
import type { Core } from '../core.ts';
import { badRequest, notFound } from '../errors.ts';
import { nowIso } from '../ids.ts';
import { loadState } from './catalog.ts';
import { authorize } from '../service/authorize.ts';
import { mutate } from '../service/mutate.ts';
import { deleteDefault, findDefault, writeDefault } from './default-repository.ts';
import { checkVersion, staleRecord } from './repository.ts';
import { isUsable, modelKey, modelStatus, type WorkspaceProviderState } from './state.ts';
import { DEFAULT_MODEL_TYPES, type DefaultModelView, type ModelRef } from './types.ts';

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
        reason: `${row.provider} is no longer installed; install it again or pick another default`,
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

/** Checks that a type has a workspace default. */
function assertDefaultType(type: string): void {
  if (!(DEFAULT_MODEL_TYPES as readonly string[]).includes(type))
    throw badRequest(`No default for ${type} models; defaults are for ${DEFAULT_MODEL_TYPES.join(', ')}`, {
      'model.type': [`Defaults are for ${DEFAULT_MODEL_TYPES.join(', ')}`],
    });
}

/** Input of `setDefaultModel`: the model, named as everywhere (provider, and the model's name and type). */
export interface SetDefaultModelInput {
  workspaceId: string;
  provider: string;
  /** The model; its type is the default it becomes. */
  model: ModelRef;
  /** The version of the type's current default the client saw (0: none); optional. */
  version?: number | undefined;
}

/** Makes a model the default of its type. The model must exist, be enabled and usable. */
export async function setDefaultModel(
  core: Core,
  actor: Actor,
  input: SetDefaultModelInput,
): Promise<DefaultModelView> {
  await authorize(core, actor, input.workspaceId, true);
  const { provider, model } = input;
  assertDefaultType(model.type);
  const state = await loadState(core, input.workspaceId);
  const found = state.modelsByKey.get(modelKey(provider, model.type, model.name));
  if (!found) throw notFound(`${model.type} model ${provider}/${model.name}`);
  const { status, reason } = modelStatus(state, found, Date.now());
  if (!isUsable(status))
    throw badRequest(`${provider}/${model.name} cannot be the default: ${reason}`, { model: [reason] });
  await mutate(core, actor, input.workspaceId, async (trx, record) => {
    const current = await findDefault(trx, input.workspaceId, model.type);
    checkVersion(`The default ${model.type} model`, current?.version ?? 0, input.version);
    const target = { workspaceId: input.workspaceId, type: model.type, provider, model: model.name };
    if (!(await writeDefault(trx, current, { ...target, at: nowIso() })))
      throw staleRecord(`The default ${model.type} model`);
    await record({
      kind: 'default',
      action: 'default.set',
      targetType: 'default',
      targetId: model.type,
      details: {
        type: model.type,
        provider,
        model: model.name,
        previous: current ? `${current.provider}/${current.model}` : null,
      },
    });
  });
  const views = defaultViews(await loadState(core, input.workspaceId), Date.now());
  return views[model.type] as DefaultModelView;
}

/** Clears the default of a type (nothing to do when it has none); answers null, the type's default now. */
export async function clearDefaultModel(
  core: Core,
  actor: Actor,
  input: { workspaceId: string; type: ModelType; version?: number | undefined },
): Promise<null> {
  await authorize(core, actor, input.workspaceId, true);
  assertDefaultType(input.type);
  await mutate(core, actor, input.workspaceId, async (trx, record) => {
    const current = await findDefault(trx, input.workspaceId, input.type);
    checkVersion(`The default ${input.type} model`, current?.version ?? 0, input.version);
    if (!current) return;
    if (!(await deleteDefault(trx, current))) throw staleRecord(`The default ${input.type} model`);
    await record({
      kind: 'default',
      action: 'default.clear',
      targetType: 'default',
      targetId: input.type,
      details: { type: input.type, previous: `${current.provider}/${current.model}` },
    });
  });
  return null;
}
