import { createApiKey, listApiKeys, revokeApiKey } from '@switchboard/core';
import { z } from 'zod';
import { router, workspaceProcedure } from '../trpc.ts';

/** Workspace API keys (`sbk_…`) for the `/v1` gateway. */
export const apiKeysRouter = router({
  /** Keys without their secrets (any member may see them). */
  list: workspaceProcedure.query(({ ctx, input }) => listApiKeys(ctx.core, ctx.actor, input)),

  /** Creates a key (editor, admin or owner); the response is the only time its secret is shown. */
  create: workspaceProcedure
    .input(z.object({ name: z.string() }))
    .mutation(({ ctx, input }) => createApiKey(ctx.core, ctx.actor, input)),

  /** Revokes a key (owner or admin: any key; editor: the keys they created). */
  revoke: workspaceProcedure
    .input(z.object({ apiKeyId: z.string().min(1, 'apiKeyId is required') }))
    .mutation(({ ctx, input }) => revokeApiKey(ctx.core, ctx.actor, input)),
});
