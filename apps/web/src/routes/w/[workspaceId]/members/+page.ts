import { api, canManage } from '$lib/api';
import { WORKSPACE_DATA } from '$lib/changes.svelte';
import type { PageLoad } from './$types';

export const load = (async ({ params, depends, parent }) => {
  depends(WORKSPACE_DATA);
  const workspaceId = params.workspaceId;
  const { role } = await parent();
  return {
    members: api.members.list.query({ workspaceId }),
    // Pending invitations are for owners and admins: others do not ask.
    invitations: canManage(role) ? api.members.invitations.query({ workspaceId }) : Promise.resolve(null),
  };
}) satisfies PageLoad;
