import { createWorkspace, getWorkspace, listWorkspaces, renameWorkspace } from '@switchboard/core';
import { z } from 'zod';
import { adminProcedure, authedProcedure, router, workspaceProcedure } from '../trpc.ts';

/** Workspaces the signed-in user belongs to. */
export const workspacesRouter = router({
  /** The user's workspaces with their role in each. */
  list: authedProcedure.query(({ ctx }) => listWorkspaces(ctx.core, ctx.auth.userId)),

  /** Creates a workspace owned by the user. */
  create: authedProcedure
    .input(z.object({ name: z.string() }))
    .mutation(({ ctx, input }) => createWorkspace(ctx.core, ctx.auth.userId, input.name)),

  /** One workspace (members only; anyone else gets NOT_FOUND). */
  byId: workspaceProcedure.query(({ ctx }) => getWorkspace(ctx.core, ctx.member)),

  /** Renames a workspace; `version` from the last read, so concurrent edits CONFLICT instead of overwriting. */
  rename: adminProcedure
    .input(z.object({ name: z.string(), version: z.number().int() }))
    .mutation(({ ctx, input }) =>
      renameWorkspace(ctx.core, ctx.member, { name: input.name, version: input.version }),
    ),
});
