import { usageSummary } from '@switchboard/core';
import { z } from 'zod';
import { adminProcedure, router } from '../trpc.ts';

const isoDate = z
  .string()
  .refine((value) => !Number.isNaN(Date.parse(value)), 'must be an ISO date such as 2026-11-01')
  .optional();

/** Gateway usage of a workspace: calls, tokens and estimated cost by day, model, credential and API key. */
export const usageRouter = router({
  summary: adminProcedure
    .input(z.object({ from: isoDate, to: isoDate }))
    .query(({ ctx, input }) => usageSummary(ctx.core, ctx.member, input)),
});
