import { api } from '$lib/api';
import { WORKSPACE_DATA } from '$lib/changes.svelte';
import type { ModelKeyRing } from '$lib/provider-state';
import type { PageLoad } from './$types';

export const load = (async ({ params, depends }) => {
  depends(WORKSPACE_DATA);
  const workspaceId = params.workspaceId;
  const [providers, catalog, models, defaults] = await Promise.all([
    api.providers.list.query({ workspaceId }),
    api.providers.catalog.query({ workspaceId }),
    api.models.list.query({ workspaceId }),
    api.defaults.get.query({ workspaceId }),
  ]);
  // Custom models' own keys, removed models included, for providers whose models carry keys
  // (one batched request however many there are).
  const withModelKeys = providers.filter(
    (provider) =>
      provider.configurationMethods.includes('customizable') && provider.modelCredentialForm.length > 0,
  );
  const rings: Record<string, ModelKeyRing[]> = Object.fromEntries(
    await Promise.all(
      withModelKeys.map(
        async (provider) =>
          [
            provider.id,
            await api.models.manageCredentials.query({ workspaceId, provider: provider.id }),
          ] as const,
      ),
    ),
  );
  return { providers, catalog, models, defaults, rings };
}) satisfies PageLoad;
