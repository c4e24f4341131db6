import { api } from '$lib/api';
import { WORKSPACE_DATA } from '$lib/changes.svelte';
import type { PageLoad } from './$types';

export const load = (({ params, depends }) => {
  depends(WORKSPACE_DATA);
  return { models: api.models.list.query({ workspaceId: params.workspaceId }) };
}) satisfies PageLoad;
