import { api } from '$lib/api';
import { WORKSPACE_DATA } from '$lib/changes.svelte';
import type { PageLoad } from './$types';

export const load = (async ({ params, depends }) => {
  depends(WORKSPACE_DATA);
  const workspaceId = params.workspaceId;
  const [defaults, models] = await Promise.all([
    api.defaults.get.query({ workspaceId }),
    api.models.list.query({ workspaceId }),
  ]);
  return { defaults, models };
}) satisfies PageLoad;
