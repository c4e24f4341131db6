import type { Handle } from '@sveltejs/kit';
import { SECURITY_HEADERS } from '$lib/server/security-headers';

// The console renders in the browser (decision 0018): the server only hands out the shell and
// the assets, so this hook's one job is the headers. Every rule, sign-in included, is the API's.
export const handle: Handle = async ({ event, resolve }) => {
  const response = await resolve(event);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    if (!response.headers.has(name)) response.headers.set(name, value);
  }
  return response;
};
