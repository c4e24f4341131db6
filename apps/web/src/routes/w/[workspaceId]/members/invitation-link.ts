/**
 * The link an invitee opens to accept. It names the invitation, not a secret: only the signed-in
 * user with the invited email can accept it (decision 0011), so it is safe to paste in a chat.
 */
export function invitationLink(invitationId: string): string {
  return `${location.origin}/invite/${encodeURIComponent(invitationId)}`;
}
