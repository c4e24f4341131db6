import { redirect } from '@sveltejs/kit';
import { api } from '$lib/api';
import type { PageLoad } from './$types';

// Setup exists only while the server has no user; afterwards it is the sign-in page.
export const load = (async () => {
  const { needsSetup } = await api.auth.status.query();
  if (!needsSetup) redirect(303, '/login');
  return {};
}) satisfies PageLoad;
