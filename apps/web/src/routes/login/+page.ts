import { redirect } from '@sveltejs/kit';
import { api } from '$lib/api';
import { currentMe, safeNext } from '$lib/session';
import type { PageLoad } from './$types';

export const load = (async ({ url }) => {
  const { needsSetup } = await api.auth.status.query();
  if (needsSetup) redirect(303, '/setup');
  const next = safeNext(url.searchParams.get('next'));
  if (await currentMe()) redirect(303, next);
  return { next };
}) satisfies PageLoad;
