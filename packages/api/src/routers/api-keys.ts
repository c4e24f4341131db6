import { createApiKey, listApiKeys, revokeApiKey } from '@switchboard/core';
import { z } from 'zod';
import { adminProcedure, router, workspaceProcedure } from '../trpc.ts';

/** Workspace API keys (`sbk_…`) for the `/v1` gateway. */
export const apiKeysRouter = router({
  /** Keys without their secrets (any member may see them). */
  list: workspaceProcedure.query(({ ctx }) => listApiKeys(ctx.core, ctx.member)),

  /** Creates a key (owner or admin); the response is the only time its secret is shown. */
  create: adminProcedure
    .input(z.object({ name: z.string() }))
    .mutation(({ ctx, input }) =>
      createApiKey(ctx.core, { kind: 'user', userId: ctx.auth.userId }, input.workspaceId, input.name),
    ),

  /** Revokes a key (owner or admin). */
  revoke: adminProcedure
    .input(z.object({ apiKeyId: z.string().min(1, 'apiKeyId is required') }))
    .mutation(({ ctx, input }) => revokeApiKey(ctx.core, ctx.member, input.apiKeyId)),
});
