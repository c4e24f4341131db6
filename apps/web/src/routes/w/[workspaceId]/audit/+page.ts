import { api, canManage } from '$lib/api';
import { WORKSPACE_DATA } from '$lib/changes.svelte';
import type { PageLoad } from './$types';
import { AUDIT_PAGE, apiFilter, readFilter } from './audit-filter';

export const load = (async ({ params, depends, url, parent }) => {
  depends(WORKSPACE_DATA);
  const workspaceId = params.workspaceId;
  const filter = readFilter(url);
  const { role } = await parent();
  // The audit log is for owners and admins: others get the page's explanation, not a refusal.
  if (!canManage(role)) return { filter, page: null, members: null };
  return {
    filter,
    page: api.audit.list.query({ workspaceId, limit: AUDIT_PAGE, ...apiFilter(filter) }),
    members: api.members.list.query({ workspaceId }),
  };
}) satisfies PageLoad;
