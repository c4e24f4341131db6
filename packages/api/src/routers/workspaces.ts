import { createWorkspace, getWorkspace, listWorkspaces, renameWorkspace } from '@switchboard/core';
import { z } from 'zod';
import { authedProcedure, router, workspaceProcedure } from '../trpc.ts';

/** Workspaces the signed-in user belongs to. */
export const workspacesRouter = router({
  /** The user's workspaces with their role in each. */
  list: authedProcedure.query(({ ctx }) => listWorkspaces(ctx.core, ctx.actor)),

  /** Creates a workspace owned by the user. */
  create: authedProcedure
    .input(z.object({ name: z.string() }))
    .mutation(({ ctx, input }) => createWorkspace(ctx.core, ctx.actor, input)),

  /** One workspace (members only; anyone else gets NOT_FOUND). */
  byId: workspaceProcedure.query(({ ctx, input }) => getWorkspace(ctx.core, ctx.actor, input)),

  /** Renames a workspace (owner or admin); `version` from the last read, so concurrent edits CONFLICT instead of overwriting. */
  rename: workspaceProcedure
    .input(z.object({ name: z.string(), version: z.number().int() }))
    .mutation(({ ctx, input }) => renameWorkspace(ctx.core, ctx.actor, input)),
});
