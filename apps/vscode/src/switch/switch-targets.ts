import type { CredentialView, ModelView, ProviderView, Snapshot } from '../workspace-data.ts';

/** Something that has keys and one active key: a provider, or a custom model with its own keys. */
export interface SwitchTarget {
  /** Stable across reads: `openai` or `openai/llm/my-model`. */
  key: string;
  provider: ProviderView;
  /** The custom model, for a model's own keys; null for the provider's keys. */
  model: { name: string; type: string } | null;
  /** `OpenAI` or `OpenAI · my-model`. */
  label: string;
  credentials: CredentialView[];
  active: CredentialView | undefined;
}

/** The key of a target, from its provider and model. */
export function targetKey(provider: string, model: { name: string; type: string } | null): string {
  return model ? `${provider}/${model.type}/${model.name}` : provider;
}

/** Every provider with keys, and every custom model (not removed) with keys of its own. */
export function switchTargets(snapshot: Snapshot): SwitchTarget[] {
  const targets: SwitchTarget[] = [];
  for (const provider of snapshot.providers) {
    if (provider.credentials.length > 0) {
      targets.push({
        key: targetKey(provider.id, null),
        provider,
        model: null,
        label: provider.label,
        credentials: provider.credentials,
        active: provider.credentials.find((credential) => credential.active),
      });
    }
    for (const ring of snapshot.customCredentials[provider.id] ?? []) {
      if (ring.removed || ring.credentials.length === 0) continue;
      targets.push({
        key: targetKey(provider.id, ring.model),
        provider,
        model: ring.model,
        label: `${provider.label} · ${ring.model.name}`,
        credentials: ring.credentials,
        active: ring.credentials.find((credential) => credential.active),
      });
    }
  }
  return targets;
}

/** The target whose keys a model uses: its own keys when it has some, else its provider's. */
export function targetOfModel(
  snapshot: Snapshot,
  model: Pick<ModelView, 'provider' | 'name' | 'type'>,
): SwitchTarget | undefined {
  const targets = switchTargets(snapshot);
  return (
    targets.find(
      (target) => target.key === targetKey(model.provider, { name: model.name, type: model.type }),
    ) ?? targets.find((target) => target.key === targetKey(model.provider, null))
  );
}

/** The target a credential belongs to. */
export function targetOfCredential(snapshot: Snapshot, credentialId: string): SwitchTarget | undefined {
  return switchTargets(snapshot).find((target) =>
    target.credentials.some((credential) => credential.id === credentialId),
  );
}

/** The masked secret of a credential (its first secret field), for telling keys apart. */
export function maskedSecret(provider: ProviderView, credential: CredentialView): string | undefined {
  const form = credential.model ? provider.modelCredentialForm : provider.providerCredentialForm;
  for (const field of form) {
    if (field.type !== 'secret') continue;
    const value = credential.values[field.id];
    if (typeof value === 'string' && value) return value;
  }
  return undefined;
}
