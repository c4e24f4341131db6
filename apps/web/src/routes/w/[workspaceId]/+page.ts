import { redirect } from '@sveltejs/kit';
import { workspaceHome } from '$lib/session';
import type { PageLoad } from './$types';

export const load = (({ params }) => {
  redirect(307, workspaceHome(params.workspaceId));
}) satisfies PageLoad;
