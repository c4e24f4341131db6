import { api } from '$lib/api';
import { WORKSPACE_DATA } from '$lib/changes.svelte';
import type { PageLoad } from './$types';

export const load = (async ({ params, depends }) => {
  depends(WORKSPACE_DATA);
  const workspaceId = params.workspaceId;
  const [keys, policy, providers] = await Promise.all([
    api.apiKeys.list.query({ workspaceId }),
    api.apiKeys.policy.query({ workspaceId }),
    api.providers.list.query({ workspaceId }),
  ]);
  return { keys, policy, providers };
}) satisfies PageLoad;
