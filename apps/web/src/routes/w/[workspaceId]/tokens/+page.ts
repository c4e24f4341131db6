import { api } from '$lib/api';
import { WORKSPACE_DATA } from '$lib/changes.svelte';
import type { PageLoad } from './$types';

export const load = (({ depends }) => {
  depends(WORKSPACE_DATA);
  return { tokens: api.tokens.list.query() };
}) satisfies PageLoad;
