import {
  acceptInvitation,
  acceptInvitationAsUser,
  addMember,
  changeRole,
  listInvitations,
  listMembers,
  ROLES,
  removeMember,
} from '@switchboard/core';
import { z } from 'zod';
import { adminProcedure, authedProcedure, publicProcedure, router, workspaceProcedure } from '../trpc.ts';

const role = z.enum(ROLES, { error: `Role must be one of ${ROLES.join(', ')}` });

/** Members, roles and invitations of a workspace. */
export const membersRouter = router({
  /** Members with email, name and role (any member may see them). */
  list: workspaceProcedure.query(({ ctx }) => listMembers(ctx.core, ctx.member)),

  /** Pending invitations (owner or admin). */
  invitations: adminProcedure.query(({ ctx }) => listInvitations(ctx.core, ctx.member)),

  /** Adds a user by email: directly when they have an account, else by an invitation whose token is shown once. */
  add: adminProcedure
    .input(z.object({ email: z.string(), role }))
    .mutation(({ ctx, input }) => addMember(ctx.core, ctx.member, { email: input.email, role: input.role })),

  /** Changes a member's role; `version` from the last read. */
  changeRole: adminProcedure
    .input(z.object({ memberId: z.string().min(1, 'memberId is required'), role, version: z.number().int() }))
    .mutation(({ ctx, input }) =>
      changeRole(ctx.core, ctx.member, {
        memberId: input.memberId,
        role: input.role,
        version: input.version,
      }),
    ),

  /** Removes a member (the last owner stays). */
  remove: adminProcedure
    .input(z.object({ memberId: z.string().min(1, 'memberId is required') }))
    .mutation(async ({ ctx, input }) => {
      await removeMember(ctx.core, ctx.member, input.memberId);
      return { ok: true as const };
    }),

  /** Accepts an invitation by creating the invited account (no sign-in needed). */
  acceptInvitation: publicProcedure
    .input(z.object({ token: z.string(), name: z.string(), password: z.string() }))
    .mutation(({ ctx, input }) => acceptInvitation(ctx.core, input)),

  /** Accepts an invitation as the signed-in user (the invitation must be for their email). */
  join: authedProcedure
    .input(z.object({ token: z.string() }))
    .mutation(({ ctx, input }) => acceptInvitationAsUser(ctx.core, ctx.auth.userId, input.token)),
});
