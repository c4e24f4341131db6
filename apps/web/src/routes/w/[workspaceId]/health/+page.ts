import { api } from '$lib/api';
import { WORKSPACE_DATA } from '$lib/changes.svelte';
import { listWorkspaceCredentials } from '$lib/credential-index';
import type { PageLoad } from './$types';

// The requests are handed to the page unawaited: it shows its own loading and error states,
// and keeps the last answer on screen while a change notice refetches.
export const load = (({ params, depends }) => {
  depends(WORKSPACE_DATA);
  const workspaceId = params.workspaceId;
  return {
    credentials: listWorkspaceCredentials(workspaceId),
    models: api.models.list.query({ workspaceId }),
    lastSuccesses: api.credentials.lastSuccesses.query({ workspaceId }),
  };
}) satisfies PageLoad;
