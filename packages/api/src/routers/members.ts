import {
  acceptInvitation,
  changeRole,
  inviteMember,
  listInvitations,
  listMembers,
  listOwnInvitations,
  ROLES,
  removeMember,
  revokeInvitation,
} from '@switchboard/core';
import { z } from 'zod';
import { authedProcedure, router, workspaceProcedure } from '../trpc.ts';

const role = z.enum(ROLES, { error: `Role must be one of ${ROLES.join(', ')}` });
const memberId = z.string().min(1, 'memberId is required');

/** Members, roles and invitations of a workspace. */
export const membersRouter = router({
  /** Members with email, name and role (any member may see them). */
  list: workspaceProcedure.query(({ ctx, input }) => listMembers(ctx.core, ctx.actor, input)),

  /** Pending invitations of the workspace (owner or admin). */
  invitations: workspaceProcedure.query(({ ctx, input }) => listInvitations(ctx.core, ctx.actor, input)),

  /** Invites an email with a role (owner or admin); the user joins when they accept it. */
  invite: workspaceProcedure
    .input(z.object({ email: z.string(), role }))
    .mutation(({ ctx, input }) => inviteMember(ctx.core, ctx.actor, input)),

  /** Takes back a pending invitation (owner or admin); its link then finds nothing. */
  revokeInvitation: workspaceProcedure
    .input(z.object({ invitationId: z.string().min(1, 'invitationId is required') }))
    .mutation(({ ctx, input }) => revokeInvitation(ctx.core, ctx.actor, input)),

  /** Changes a member's role (owner or admin); `version` from the last read. */
  changeRole: workspaceProcedure
    .input(z.object({ memberId, role, version: z.number().int() }))
    .mutation(({ ctx, input }) => changeRole(ctx.core, ctx.actor, input)),

  /** Removes a member (owner or admin; the last owner stays) and revokes the API keys they created. */
  remove: workspaceProcedure
    .input(z.object({ memberId }))
    .mutation(({ ctx, input }) => removeMember(ctx.core, ctx.actor, input)),

  /** The signed-in user's pending invitations, across workspaces. */
  myInvitations: authedProcedure.query(({ ctx }) => listOwnInvitations(ctx.core, ctx.actor)),

  /** Accepts one of the signed-in user's invitations: their consent to join. */
  accept: authedProcedure
    .input(z.object({ invitationId: z.string().min(1, 'invitationId is required') }))
    .mutation(({ ctx, input }) => acceptInvitation(ctx.core, ctx.actor, input)),
});
