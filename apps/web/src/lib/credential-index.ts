import { api, type Credential, type Provider } from './api';
import { maskedSecret } from './provider-state';

/** One credential of the workspace with its provider, as the health and playground pages list them. */
export interface CredentialEntry {
  provider: Provider;
  credential: Credential;
  /** The first secret field's mask (`sk-••••abcd`), or null. */
  mask: string | null;
}

/**
 * Every credential of the workspace: providers' keys and custom models' own keys (removed
 * models' keys left out: no call uses them). One `providers.list` and one
 * `models.manageCredentials` per provider that takes custom models.
 */
export async function listWorkspaceCredentials(workspaceId: string): Promise<CredentialEntry[]> {
  const providers = await api.providers.list.query({ workspaceId });
  const customizable = providers.filter((provider) => provider.configurationMethods.includes('customizable'));
  const modelKeys = await Promise.all(
    customizable.map((provider) =>
      api.models.manageCredentials.query({ workspaceId, provider: provider.id }),
    ),
  );
  const entries: CredentialEntry[] = [];
  for (const provider of providers) {
    for (const credential of provider.credentials) {
      entries.push({ provider, credential, mask: maskedSecret(provider, credential) });
    }
    const index = customizable.indexOf(provider);
    for (const group of index === -1 ? [] : (modelKeys[index] ?? [])) {
      if (group.removed) continue;
      for (const credential of group.credentials) {
        entries.push({ provider, credential, mask: maskedSecret(provider, credential) });
      }
    }
  }
  return entries;
}
