import { redirect } from '@sveltejs/kit';
import { api, errorCode, type Me } from './api';

/** Where to go after signing in: only a path of this console, never another site. */
export function safeNext(value: string | null): string {
  return value?.startsWith('/') && !value.startsWith('//') ? value : '/';
}

/** The signed-in user, or a redirect to the sign-in page that comes back to `url` afterwards. */
export async function requireMe(url: URL): Promise<Me> {
  try {
    return await api.auth.me.query();
  } catch (error) {
    if (errorCode(error) === 'UNAUTHORIZED') {
      redirect(303, `/login?next=${encodeURIComponent(url.pathname + url.search)}`);
    }
    throw error;
  }
}

/** The signed-in user, or null (for the sign-in page itself). */
export async function currentMe(): Promise<Me | null> {
  try {
    return await api.auth.me.query();
  } catch (error) {
    if (errorCode(error) === 'UNAUTHORIZED') return null;
    throw error;
  }
}

/** A workspace's console home. */
export function workspaceHome(workspaceId: string): string {
  return `/w/${encodeURIComponent(workspaceId)}/providers`;
}
