import { api } from '$lib/api';
import { WORKSPACE_DATA } from '$lib/changes.svelte';
import type { PageLoad } from './$types';

export const load = (async ({ params, depends }) => {
  depends(WORKSPACE_DATA);
  const workspaceId = params.workspaceId;
  const [providers, catalog] = await Promise.all([
    api.providers.list.query({ workspaceId }),
    api.providers.catalog.query({ workspaceId }),
  ]);
  return { providers, catalog };
}) satisfies PageLoad;
