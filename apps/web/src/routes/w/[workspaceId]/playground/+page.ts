import { api } from '$lib/api';
import { WORKSPACE_DATA } from '$lib/changes.svelte';
import { listWorkspaceCredentials } from '$lib/credential-index';
import type { PageLoad } from './$types';

export const load = (({ params, depends }) => {
  depends(WORKSPACE_DATA);
  const workspaceId = params.workspaceId;
  return {
    models: api.models.list.query({ workspaceId }),
    defaults: api.defaults.get.query({ workspaceId }),
    // To name the key that served a call (the gateway sends its id).
    credentials: listWorkspaceCredentials(workspaceId),
  };
}) satisfies PageLoad;
