import { usageSummary } from '@switchboard/core';
import { z } from 'zod';
import { router, workspaceProcedure } from '../trpc.ts';

const isoDate = z
  .string()
  .refine((value) => !Number.isNaN(Date.parse(value)), 'must be an ISO date such as 2026-11-01')
  .optional();

/** Gateway usage of a workspace: calls, tokens and estimated cost by day, model, credential and API key. */
export const usageRouter = router({
  /** Owner or admin. */
  summary: workspaceProcedure
    .input(z.object({ from: isoDate, to: isoDate }))
    .query(({ ctx, input }) => usageSummary(ctx.core, ctx.actor, input)),
});
