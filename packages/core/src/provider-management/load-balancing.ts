import type { Actor } from '../access.ts';
import type { Core } from '../core.ts';
import { badRequest } from '../errors.ts';
import { loadState } from './catalog.ts';
import { authorize } from '../service/authorize.ts';
import { mutate } from '../service/mutate.ts';
import { changeModelSettings, findModel } from './model-settings.ts';
import {
  credentialView,
  type ModelState,
  modelVersion,
  parseLoadBalancing,
  type WorkspaceProviderState,
} from './state.ts';
import type { LoadBalancingView, ModelRef } from './types.ts';

/** Weights are whole numbers in this range. */
export const LOAD_BALANCING_WEIGHT = { min: 1, max: 100 } as const;

/** One credential and its weight in a load-balancing configuration. */
export interface LoadBalancingWeight {
  credentialId: string;
  weight: number;
}

/** Input of `setLoadBalancing`: turning it on names the credentials; turning it off may keep the saved ones. */
export type SetLoadBalancingInput = {
  workspaceId: string;
  provider: string;
  model: ModelRef;
  /** The model's version the client saw (optional optimistic concurrency). */
  version?: number | undefined;
} & (
  | { enabled: true; credentials: LoadBalancingWeight[] }
  | { enabled: false; credentials?: LoadBalancingWeight[] | undefined }
);

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
    version: modelVersion(model),
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

/** Field errors of a credential list: each a distinct credential of the pool with a whole weight in range. */
function checkWeights(pool: Set<string>, credentials: LoadBalancingWeight[]): Record<string, string[]> {
  const errors: Record<string, string[]> = {};
  const seen = new Set<string>();
  credentials.forEach((entry, index) => {
    if (!pool.has(entry.credentialId))
      errors[`credentials.${index}.credentialId`] = ["Not one of this model's credentials"];
    else if (seen.has(entry.credentialId)) errors[`credentials.${index}.credentialId`] = ['Listed twice'];
    seen.add(entry.credentialId);
    const { min, max } = LOAD_BALANCING_WEIGHT;
    if (!Number.isInteger(entry.weight) || entry.weight < min || entry.weight > max) {
      errors[`credentials.${index}.weight`] = [`Weight must be a whole number from ${min} to ${max}`];
    }
  });
  return errors;
}

/**
 * Saves a model's load balancing: when enabled, two or more distinct credentials of the
 * model's pool, each with a whole weight from 1 to 100. Turning it off without a list keeps
 * the saved weights for the next time it is turned on.
 */
export async function setLoadBalancing(
  core: Core,
  actor: Actor,
  input: SetLoadBalancingInput,
): Promise<LoadBalancingView> {
  await authorize(core, actor, input.workspaceId, true);
  const state = await loadState(core, input.workspaceId);
  const model = findModel(state, input.provider, input.model);
  const credentials = input.credentials;
  const errors = checkWeights(new Set(model.pool.map((row) => row.id)), credentials ?? []);
  if (input.enabled && (credentials?.length ?? 0) < 2)
    errors.credentials = ['Load balancing needs two or more credentials'];
  if (Object.keys(errors).length > 0)
    throw badRequest(`Check the load balancing: ${Object.keys(errors).join(', ')}`, errors);
  await mutate(core, actor, input.workspaceId, async (trx, record) => {
    await changeModelSettings(trx, input.workspaceId, input.provider, input.model, input.version, {
      load_balancing_enabled: input.enabled ? 1 : 0,
      ...(credentials
        ? {
            load_balancing: JSON.stringify(
              credentials.map(({ credentialId, weight }) => ({ credentialId, weight })),
            ),
          }
        : {}),
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
        ...(credentials ? { credentials } : {}),
      },
    });
  });
  const fresh = await loadState(core, input.workspaceId);
  return view(fresh, findModel(fresh, input.provider, input.model));
}
