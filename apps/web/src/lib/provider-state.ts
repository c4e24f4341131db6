import type { Credential, ModelType, Provider } from './api';

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
