import { listAudit } from '@switchboard/core';
import { z } from 'zod';
import { router, workspaceProcedure } from '../trpc.ts';

/** The workspace's audit log (owner or admin). */
export const auditRouter = router({
  /** One page, newest first; pass `nextBefore` back as `before` for the next page. */
  list: workspaceProcedure
    .input(z.object({ limit: z.number().int().min(1).max(200).default(50), before: z.string().optional() }))
    .query(({ ctx, input }) => listAudit(ctx.core, ctx.actor, input)),
});
