import { api } from '$lib/api';
import { requireMe } from '$lib/session';
import type { PageLoad } from './$types';

// Signed out, the link goes through sign-in and comes back here. Only the invitations for the
// signed-in user's own email are listed (decision 0011): a link for someone else finds nothing.
export const load = (async ({ params, url }) => {
  const me = await requireMe(url);
  const invitations = await api.members.myInvitations.query();
  const invitation = invitations.find((entry) => entry.id === params.invitationId) ?? null;
  return { me, invitation };
}) satisfies PageLoad;
