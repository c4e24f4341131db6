import { error } from '@sveltejs/kit';
import { requireMe } from '$lib/session';
import type { LayoutLoad } from './$types';

// Every workspace page knows who is signed in and their role here; the API checks both again.
export const load = (async ({ params, url, depends }) => {
  depends('sb:me');
  const me = await requireMe(url);
  const membership = me.workspaces.find((entry) => entry.workspace.id === params.workspaceId);
  if (!membership) error(404, 'This workspace does not exist, or you are not a member of it.');
  return { me, workspace: membership.workspace, role: membership.role };
}) satisfies LayoutLoad;
