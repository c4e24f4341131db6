import { getResponseRetention, MAX_RESPONSE_RETENTION_DAYS, setResponseRetention } from '@switchboard/core';
import { z } from 'zod';
import { router, workspaceProcedure } from '../trpc.ts';

/** Settings of the gateway's Responses API (`/v1/responses`). */
export const responsesRouter = router({
  /** How many days the workspace keeps stored responses (0: none are kept). */
  retention: workspaceProcedure.query(({ ctx, input }) => getResponseRetention(ctx.core, ctx.actor, input)),

  /** Sets how many days responses are kept, 0 to 3650 (owner or admin). */
  setRetention: workspaceProcedure
    .input(z.object({ days: z.number().int().min(0).max(MAX_RESPONSE_RETENTION_DAYS) }))
    .mutation(({ ctx, input }) => setResponseRetention(ctx.core, ctx.actor, input)),
});
