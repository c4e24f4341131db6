import { listAudit } from '@switchboard/core';
import { z } from 'zod';
import { router, workspaceProcedure } from '../trpc.ts';

/** The workspace's audit log (owner or admin). */
export const auditRouter = router({
  /**
   * One page, newest first; pass `nextBefore` back as `before` for the next page. Filters: who
   * (`actorUserId`), what (`action`: `credential.create`, or a family such as `credential`) and
   * when (`from` inclusive, `to` exclusive, ISO dates or times).
   */
  list: workspaceProcedure
    .input(
      z.object({
        limit: z.number().int().min(1).max(200).default(50),
        before: z.string().optional(),
        actorUserId: z.string().optional(),
        action: z.string().optional(),
        from: z.string().optional(),
        to: z.string().optional(),
      }),
    )
    .query(({ ctx, input }) => listAudit(ctx.core, ctx.actor, input)),
});
