import type { Actor } from '../access.ts';
import type { Core } from '../core.ts';
import { badRequest, notFound } from '../errors.ts';
import { loadState } from './catalog.ts';
import { authorize } from '../service/authorize.ts';
import { mutate } from '../service/mutate.ts';
import { upsertModelSetting } from './models.ts';
import {
  credentialView,
  type ModelState,
  modelKey,
  parseLoadBalancing,
  type WorkspaceProviderState,
} from './state.ts';
import type { LoadBalancingView, ModelRef } from './types.ts';

/** Weights are whole numbers in this range. */
export const LOAD_BALANCING_WEIGHT = { min: 1, max: 100 } as const;

function findModel(state: WorkspaceProviderState, provider: string, model: ModelRef): ModelState {
  const found = state.modelsByKey.get(modelKey(provider, model.type, model.name));
  if (!found) throw notFound(`Model ${provider}/${model.name} (${model.type})`);
  return found;
}

function view(state: WorkspaceProviderState, model: ModelState): LoadBalancingView {
  const now = Date.now();
  const saved = new Map(
    parseLoadBalancing(model.setting?.load_balancing ?? '[]').map((entry) => [
      entry.credentialId,
      entry.weight,
    ]),
  );
  return {
    provider: model.provider,
    model: { name: model.name, type: model.type },
    enabled: model.setting?.load_balancing_enabled === 1,
    credentials: model.pool.map((row) => {
      const credential = credentialView(row, state.cooldowns.get(row.id), now);
      return {
        credentialId: row.id,
        name: row.name,
        weight: saved.get(row.id) ?? 1,
        included: saved.has(row.id),
        status: credential.status,
        cooldownUntil: credential.cooldownUntil,
      };
    }),
    settingsVersion: model.setting?.version ?? 0,
  };
}

/** A model's load-balancing configuration over its credential pool, with each credential's current cooldown. */
export async function getLoadBalancing(
  core: Core,
  actor: Actor,
  input: { workspaceId: string; provider: string; model: ModelRef },
): Promise<LoadBalancingView> {
  await authorize(core, actor, input.workspaceId, false);
  const state = await loadState(core, input.workspaceId);
  return view(state, findModel(state, input.provider, input.model));
}

/**
 * Saves a model's load balancing: when enabled, two or more distinct credentials of the
 * model's pool, each with a whole weight from 1 to 100.
 */
export async function setLoadBalancing(
  core: Core,
  actor: Actor,
  input: {
    workspaceId: string;
    provider: string;
    model: ModelRef;
    enabled: boolean;
    credentials: { credentialId: string; weight: number }[];
    version?: number | undefined;
  },
): Promise<LoadBalancingView> {
  await authorize(core, actor, input.workspaceId, true);
  const state = await loadState(core, input.workspaceId);
  const model = findModel(state, input.provider, input.model);
  const pool = new Set(model.pool.map((row) => row.id));
  const errors: Record<string, string[]> = {};
  const seen = new Set<string>();
  input.credentials.forEach((entry, index) => {
    if (!pool.has(entry.credentialId))
      errors[`credentials.${index}.credentialId`] = ["Not one of this model's credentials"];
    else if (seen.has(entry.credentialId)) errors[`credentials.${index}.credentialId`] = ['Listed twice'];
    seen.add(entry.credentialId);
    const { min, max } = LOAD_BALANCING_WEIGHT;
    if (!Number.isInteger(entry.weight) || entry.weight < min || entry.weight > max) {
      errors[`credentials.${index}.weight`] = [`Weight must be a whole number from ${min} to ${max}`];
    }
  });
  if (input.enabled && input.credentials.length < 2)
    errors.credentials = ['Load balancing needs two or more credentials'];
  if (Object.keys(errors).length > 0)
    throw badRequest(`Check the load balancing: ${Object.keys(errors).join(', ')}`, errors);
  await mutate(core, actor, input.workspaceId, async (trx, record) => {
    await upsertModelSetting(trx, input.workspaceId, input.provider, input.model, input.version, {
      load_balancing_enabled: input.enabled ? 1 : 0,
      load_balancing: JSON.stringify(
        input.credentials.map(({ credentialId, weight }) => ({ credentialId, weight })),
      ),
    });
    await record({
      kind: 'load-balancing',
      action: 'load_balancing.set',
      targetType: 'model',
      targetId: `${input.provider}/${input.model.name}`,
      details: {
        provider: input.provider,
        model: input.model,
        enabled: input.enabled,
        credentials: input.credentials,
      },
    });
  });
  const fresh = await loadState(core, input.workspaceId);
  return view(fresh, findModel(fresh, input.provider, input.model));
}
