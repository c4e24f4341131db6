import { memberChanges } from '@switchboard/core';
import { router, workspaceProcedure } from '../trpc.ts';

/** The change feed: clients refetch what they show when a notice of their workspace arrives. */
export const changesRouter = router({
  /** Change notices of one workspace (members only), until the client goes away. Over SSE with `httpSubscriptionLink`. */
  // A plain function, not a generator: it starts listening as soon as membership is checked.
  subscribe: workspaceProcedure.subscription(({ ctx, input, signal }) =>
    memberChanges(ctx.core, ctx.actor, input, signal),
  ),
});
