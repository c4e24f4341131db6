import type {
  ModelInfo,
  ModelPricing,
  ModelType,
  ProviderAdapter,
  ProviderId,
  ProviderManifest,
} from '@switchboard/provider-spec';
import type {
  CredentialCooldownRow,
  CustomModelRow,
  ModelSettingRow,
  ProviderCredentialRow,
  ProviderInstallRow,
} from '../db/schema.ts';
import { type PricingSource, parsePricing } from './model-pricing.ts';
import type { WorkspaceProviderRows } from './repository.ts';
import type { CredentialView, ModelSource, ModelStatus, ModelView } from './types.ts';

/** An installed provider whose adapter this server has. */
export interface InstalledProvider {
  install: ProviderInstallRow;
  adapter: ProviderAdapter;
  manifest: ProviderManifest;
}

/** One weighted credential of a load-balanced model. */
export interface LoadBalancingEntry {
  credentialId: string;
  weight: number;
}

/** Everything known about one model of the workspace, computed in memory. */
export interface ModelState {
  provider: ProviderId;
  name: string;
  type: ModelType;
  source: ModelSource;
  info: ModelInfo | undefined;
  customModel: CustomModelRow | undefined;
  setting: ModelSettingRow | undefined;
  /** The price in effect: the admin's for a custom model that has one, else the catalog's; null: no price. */
  pricing: ModelPricing | null;
  /** Where `pricing` comes from. */
  pricingSource: PricingSource;
  /** The credentials this model may use: its provider's, or its own for a custom model. */
  pool: ProviderCredentialRow[];
  active: ProviderCredentialRow | undefined;
  /** Credentials calls go to: the load-balancing entries in effect, or the active one. */
  serving: { credential: ProviderCredentialRow; weight: number }[];
  /** Why the model cannot be used regardless of cooldowns; undefined when it can. */
  blocked: { status: Exclude<ModelStatus, 'active' | 'cooling-down'>; reason: string } | undefined;
}

/** A workspace's provider configuration, indexed for lists and for resolving. */
export interface WorkspaceProviderState {
  rows: WorkspaceProviderRows;
  providers: Map<string, InstalledProvider>;
  models: ModelState[];
  modelsByKey: Map<string, ModelState>;
  credentialsByScope: Map<string, ProviderCredentialRow[]>;
  cooldowns: Map<string, CredentialCooldownRow>;
}

/** Map key of a model: provider, type and name. */
export const modelKey = (provider: string, type: string, name: string): string =>
  `${provider}\u0000${type}\u0000${name}`;
const scopeKey = (provider: string, scope: string): string => `${provider}\u0000${scope}`;

/** Parses a load-balancing JSON column; bad data counts as no configuration. */
export function parseLoadBalancing(text: string): LoadBalancingEntry[] {
  try {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (entry): entry is LoadBalancingEntry =>
        typeof entry === 'object' &&
        entry !== null &&
        typeof entry.credentialId === 'string' &&
        typeof entry.weight === 'number',
    );
  } catch {
    return [];
  }
}

/** The credentials of one scope from a state. */
export function scopeCredentials(
  state: WorkspaceProviderState,
  provider: string,
  scope: string,
): ProviderCredentialRow[] {
  return state.credentialsByScope.get(scopeKey(provider, scope)) ?? [];
}

/** Builds the in-memory state from rows; pure, so lists and the resolve cache agree. */
export function buildState(
  adapters: ReadonlyMap<ProviderId, ProviderAdapter>,
  rows: WorkspaceProviderRows,
): WorkspaceProviderState {
  const providers = new Map<string, InstalledProvider>();
  for (const install of rows.installs) {
    const adapter = adapters.get(install.provider as ProviderId);
    if (adapter) providers.set(install.provider, { install, adapter, manifest: adapter.manifest });
  }
  const credentialsByScope = new Map<string, ProviderCredentialRow[]>();
  for (const credential of rows.credentials) {
    const key = scopeKey(credential.provider, credential.scope);
    const list = credentialsByScope.get(key);
    if (list) list.push(credential);
    else credentialsByScope.set(key, [credential]);
  }
  const settings = new Map<string, ModelSettingRow>();
  for (const setting of rows.settings)
    settings.set(modelKey(setting.provider, setting.model_type, setting.model), setting);
  const cooldowns = new Map<string, CredentialCooldownRow>();
  for (const cooldown of rows.cooldowns) cooldowns.set(cooldown.credential_id, cooldown);

  const models: ModelState[] = [];
  const modelsByKey = new Map<string, ModelState>();
  const add = (model: ModelState) => {
    const key = modelKey(model.provider, model.type, model.name);
    const existing = modelsByKey.get(key);
    // A custom model with a predefined model's name and type replaces it: the admin chose its key.
    if (existing) models.splice(models.indexOf(existing), 1, model);
    else models.push(model);
    modelsByKey.set(key, model);
  };

  for (const { manifest } of providers.values()) {
    const pool = credentialsByScope.get(scopeKey(manifest.id, '')) ?? [];
    for (const info of manifest.models) {
      add(makeModel(manifest, info.id, info.type, 'predefined', info, undefined, settings, pool));
    }
  }
  for (const customModel of rows.customModels) {
    if (customModel.removed_at !== null) continue;
    const installed = providers.get(customModel.provider);
    if (!installed) continue;
    const type = customModel.model_type as ModelType;
    // Providers without a model credential form serve every model with the provider's keys.
    const scope = installed.manifest.modelCredentialForm.length > 0 ? `${type}/${customModel.model}` : '';
    const pool = credentialsByScope.get(scopeKey(customModel.provider, scope)) ?? [];
    const info = installed.manifest.models.find(
      (model) => model.id === customModel.model && model.type === type,
    );
    add(
      makeModel(
        installed.manifest,
        customModel.model,
        type,
        customModel.source as ModelSource,
        info,
        customModel,
        settings,
        pool,
      ),
    );
  }
  return { rows, providers, models, modelsByKey, credentialsByScope, cooldowns };
}

function makeModel(
  manifest: ProviderManifest,
  name: string,
  type: ModelType,
  source: ModelSource,
  info: ModelInfo | undefined,
  customModel: CustomModelRow | undefined,
  settings: Map<string, ModelSettingRow>,
  pool: ProviderCredentialRow[],
): ModelState {
  const setting = settings.get(modelKey(manifest.id, type, name));
  const active = pool.find((credential) => credential.is_active === 1);
  let serving: ModelState['serving'] = active ? [{ credential: active, weight: 1 }] : [];
  if (setting && setting.load_balancing_enabled === 1) {
    const byId = new Map(pool.map((credential) => [credential.id, credential]));
    const entries = parseLoadBalancing(setting.load_balancing).flatMap((entry) => {
      const credential = byId.get(entry.credentialId);
      return credential && credential.status === 'valid' ? [{ credential, weight: entry.weight }] : [];
    });
    if (entries.length >= 2) serving = entries;
  }
  let blocked: ModelState['blocked'];
  if (setting && setting.enabled === 0) {
    blocked = { status: 'disabled', reason: 'Disabled in the model settings; enable it to use it' };
  } else if (pool.length === 0) {
    blocked =
      source === 'predefined'
        ? { status: 'no-credential', reason: `Add an API key to ${manifest.label} to use its models` }
        : { status: 'no-credential', reason: 'This model has no credential; add one' };
  } else if (serving.length === 0) {
    blocked =
      source === 'predefined'
        ? {
            status: 'no-credential',
            reason: `None of the ${manifest.label} credentials is active; activate one`,
          }
        : {
            status: 'credential-removed',
            reason: `None of this model's ${pool.length} credential(s) is active; activate one`,
          };
  } else if (serving.length === 1 && serving[0]?.credential.status !== 'valid') {
    const credential = serving[0]?.credential;
    blocked = {
      status: 'credential-invalid',
      reason: `The active credential "${credential?.name}" failed validation${credential?.status_reason ? `: ${credential.status_reason}` : ''}; fix or replace it`,
    };
  }
  // An admin's price wins over the catalog's: a custom model named like a predefined one may be
  // a fine-tune or a deployment billed differently.
  const custom = customModel ? parsePricing(customModel.pricing) : null;
  const catalog = info?.pricing ?? null;
  return {
    provider: manifest.id,
    name,
    type,
    source,
    info,
    customModel,
    setting,
    pricing: custom ?? catalog,
    pricingSource: custom ? 'custom' : catalog ? 'catalog' : null,
    pool,
    active,
    serving,
    blocked,
  };
}

/** Epoch milliseconds until which every serving credential of a model rests, or 0 when one is free. */
export function modelCooldownUntil(state: WorkspaceProviderState, model: ModelState, nowMs: number): number {
  let earliest = Number.POSITIVE_INFINITY;
  for (const { credential } of model.serving) {
    const cooldown = state.cooldowns.get(credential.id);
    const until = cooldown ? Date.parse(cooldown.until) : 0;
    if (!(until > nowMs)) return 0;
    if (until < earliest) earliest = until;
  }
  return model.serving.length === 0 ? 0 : earliest;
}

/** A model's status and reason at `nowMs`. */
export function modelStatus(
  state: WorkspaceProviderState,
  model: ModelState,
  nowMs: number,
): { status: ModelStatus; reason: string } {
  if (model.blocked) return model.blocked;
  const until = modelCooldownUntil(state, model, nowMs);
  if (until > 0) {
    // Each reason once: keys rate-limited together would otherwise repeat the same words.
    const reasons = [
      ...new Set(
        model.serving.map(({ credential }) => state.cooldowns.get(credential.id)?.reason).filter(Boolean),
      ),
    ];
    return {
      status: 'cooling-down',
      reason: `Every key of this model is resting after errors until ${new Date(until).toISOString()}${reasons.length > 0 ? ` (${reasons.join('; ')})` : ''}`,
    };
  }
  const first = model.serving[0]?.credential;
  return {
    status: 'active',
    reason:
      model.serving.length > 1
        ? `Load balanced over ${model.serving.length} credentials`
        : `Uses credential "${first?.name}"`,
  };
}

/** Whether a model is enabled (a model whose settings were never changed is). */
export const isEnabled = (model: ModelState): boolean => model.setting?.enabled !== 0;

/** Whether a model with this status can serve calls: active, or resting keys that come back by themselves. */
export const isUsable = (status: ModelStatus): boolean => status === 'active' || status === 'cooling-down';

/**
 * A model's version: its own record's, so it moves only when the model changes (enabled,
 * load balancing, removed or restored). The custom model row for a custom model, the
 * settings row for a predefined one (0 until its first change).
 */
export const modelVersion = (model: ModelState): number =>
  model.customModel ? model.customModel.version : (model.setting?.version ?? 0);

/** The client-facing view of a model. */
export function modelView(state: WorkspaceProviderState, model: ModelState, nowMs: number): ModelView {
  const { status, reason } = modelStatus(state, model, nowMs);
  return {
    provider: model.provider,
    name: model.name,
    label: model.info?.label ?? model.name,
    type: model.type,
    source: model.source,
    status,
    reason,
    enabled: isEnabled(model),
    loadBalancing: model.serving.length > 1,
    credentialId: model.active?.id ?? null,
    contextSize: model.info?.contextSize ?? null,
    maxOutputTokens: model.info?.maxOutputTokens ?? null,
    features: model.info?.features ?? [],
    pricing: model.pricing,
    pricingSource: model.pricingSource,
    version: modelVersion(model),
  };
}

/** Parses a JSON object column. */
export function parseObject(text: string): Record<string, string | number | boolean> {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, string | number | boolean>)
      : {};
  } catch {
    return {};
  }
}

/** The client-facing view of a credential: plain values plus masks, never a secret. */
export function credentialView(
  row: ProviderCredentialRow,
  cooldown: CredentialCooldownRow | undefined,
  nowMs: number,
): CredentialView {
  const cooling = cooldown && Date.parse(cooldown.until) > nowMs ? cooldown.until : null;
  return {
    id: row.id,
    provider: row.provider as ProviderId,
    model:
      row.model !== null && row.model_type !== null
        ? { name: row.model, type: row.model_type as ModelType }
        : null,
    name: row.name,
    values: { ...parseObject(row.plain_values), ...parseObject(row.masked_values) },
    active: row.is_active === 1,
    status: row.status === 'valid' ? 'valid' : 'invalid',
    statusReason: row.status_reason,
    validatedAt: row.validated_at,
    cooldownUntil: cooling,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
