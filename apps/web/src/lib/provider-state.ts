import type { Credential, ModelType, Provider, RouterOutputs } from './api';

/** A model of the workspace as `models.list` returns it: status, reason, version. */
export type Model = RouterOutputs['models']['list'][number];
/** One custom model's keys in `models.manageCredentials` (removed models included). */
export type ModelKeyRing = RouterOutputs['models']['manageCredentials'][number];
/** A model's load balancing as `loadBalancing.get` returns it. */
export type LoadBalancing = RouterOutputs['loadBalancing']['get'];
/** The workspace's default models by type, as `defaults.get` returns them. */
export type Defaults = RouterOutputs['defaults']['get'];
/** A model's status (`active`, `disabled`, `cooling-down`...). */
export type ModelStatus = Model['status'];

/** The fixed set of states a provider card shows. */
export type ProviderState = 'active' | 'needs-setup' | 'invalid' | 'cooling-down' | 'unusable';

/** The label of each state, in the words the card shows. */
export const STATUS_LABELS: Record<ProviderState, string> = {
  active: 'Active',
  'needs-setup': 'Needs a key',
  invalid: 'Key rejected',
  'cooling-down': 'Cooling down',
  unusable: 'No usable model',
};

/** Names of the model types, as the console shows them. */
export const MODEL_TYPE_LABELS: Record<ModelType, string> = {
  llm: 'LLM',
  'text-embedding': 'Embedding',
  rerank: 'Rerank',
  speech2text: 'Speech to text',
  tts: 'Text to speech',
};

/** The provider's active credential, if it has one. */
export function activeCredential(provider: Provider): Credential | undefined {
  return provider.credentials.find((credential) => credential.active);
}

/**
 * A card's state from what the API reports: the active key's last validation and cooldown,
 * or, for providers whose models carry their own keys, whether any of them is usable.
 */
export function providerState(provider: Provider, now = Date.now()): ProviderState {
  const active = activeCredential(provider);
  if (active) {
    if (active.status === 'invalid') return 'invalid';
    if (active.cooldownUntil && Date.parse(active.cooldownUntil) > now) return 'cooling-down';
    return 'active';
  }
  if (provider.activeModelCount > 0) return 'active';
  // Without predefined models, every listed model was added with its own key: they all fail now.
  const ownModelsOnly = !provider.configurationMethods.includes('predefined');
  return ownModelsOnly && provider.modelCount > 0 ? 'unusable' : 'needs-setup';
}

/** A mask as the API sends it (`sk-************abcd`), with the run of stars shortened for display. */
export function shortMask(mask: string): string {
  return mask.replace(/\*{4,}/, '••••');
}

/** The masked value of a credential's first secret field (`sk-••••abcd`), for lists. */
export function maskedSecret(provider: Provider, credential: Credential): string | null {
  const form = credential.model ? provider.modelCredentialForm : provider.providerCredentialForm;
  for (const field of form) {
    const value = credential.values[field.id];
    if (field.type === 'secret' && typeof value === 'string' && value) return shortMask(value);
  }
  return null;
}

/** The label of each model status, in the words the model list shows. */
export const MODEL_STATUS_LABELS: Record<ModelStatus, string> = {
  active: 'Active',
  'no-credential': 'Needs a key',
  'credential-invalid': 'Key rejected',
  'credential-removed': 'No active key',
  disabled: 'Disabled',
  'cooling-down': 'Cooling down',
};

/** The dot colour of each model status. */
export const MODEL_STATUS_COLORS: Record<ModelStatus, string> = {
  active: 'bg-emerald-500',
  'no-credential': 'bg-zinc-400 dark:bg-zinc-500',
  'credential-invalid': 'bg-red-500',
  'credential-removed': 'bg-amber-500',
  disabled: 'bg-zinc-300 dark:bg-zinc-600',
  'cooling-down': 'bg-amber-500',
};

/** The key a model goes by within a provider: its type and name (as custom-model keys are scoped). */
export const modelKey = (model: { name: string; type: string }): string => `${model.type}/${model.name}`;

/** Whether a model is one of the workspace's defaults. */
export function isDefaultModel(defaults: Defaults, model: Model): boolean {
  const chosen = defaults[model.type];
  return chosen !== null && chosen.provider === model.provider && chosen.model === model.name;
}

/** Whether a credential rests after upstream errors at `now`. */
export function isResting(credential: { cooldownUntil: string | null }, now = Date.now()): boolean {
  return credential.cooldownUntil !== null && Date.parse(credential.cooldownUntil) > now;
}

/** When a resting key comes back, in words: a time today, a date otherwise, or "until the key is changed". */
export function restingUntil(cooldownUntil: string, now = Date.now()): string {
  const until = new Date(cooldownUntil);
  // Keys the provider refused rest until a person changes them (stored as a far date).
  if (until.getUTCFullYear() >= 9999) return 'Resting until the key is changed or checked again';
  const sameDay = until.toDateString() === new Date(now).toDateString();
  return `Resting until ${sameDay ? until.toLocaleTimeString() : until.toLocaleString()}`;
}

/** A server reason for display: the instants it names (ISO 8601, UTC) in the reader's local time. */
export function readableReason(reason: string): string {
  return reason.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/g, (instant) => {
    const date = new Date(instant);
    // Keys the provider refused rest until a person changes them (stored as a far date).
    if (date.getUTCFullYear() >= 9999) return 'the key is changed';
    return date.toDateString() === new Date().toDateString()
      ? date.toLocaleTimeString()
      : date.toLocaleString();
  });
}
