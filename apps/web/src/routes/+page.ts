import { redirect } from '@sveltejs/kit';
import { api } from '$lib/api';
import { requireMe, workspaceHome } from '$lib/session';
import type { PageLoad } from './$types';

// `/` sends everyone where they belong: setup on a fresh server, sign-in, or a workspace.
export const load = (async ({ url, depends }) => {
  depends('sb:me');
  const { needsSetup } = await api.auth.status.query();
  if (needsSetup) redirect(303, '/setup');
  const me = await requireMe(url);
  const first = me.workspaces[0];
  if (first) redirect(303, workspaceHome(first.workspace.id));
  return { me };
}) satisfies PageLoad;
