import { api, canManage } from '$lib/api';
import { WORKSPACE_DATA } from '$lib/changes.svelte';
import type { PageLoad } from './$types';

/** The periods the page offers, in days. */
const PERIODS = [7, 30, 90];

export const load = (async ({ params, depends, url, parent }) => {
  depends(WORKSPACE_DATA);
  const workspaceId = params.workspaceId;
  const asked = Number(url.searchParams.get('days'));
  const days = PERIODS.includes(asked) ? asked : 30;
  const { role } = await parent();
  if (!canManage(role)) return { days, summary: null, members: null };
  const to = new Date();
  // Whole days: from the start of the first day shown.
  const from = new Date(to.getFullYear(), to.getMonth(), to.getDate() - (days - 1));
  return {
    days,
    summary: api.usage.summary.query({ workspaceId, from: from.toISOString(), to: to.toISOString() }),
    members: api.members.list.query({ workspaceId }),
  };
}) satisfies PageLoad;
