import { memberChanges, whileSignedIn } from '@switchboard/core';
import { router, workspaceProcedure } from '../trpc.ts';

/** The change feed: clients refetch what they show when a notice of their workspace arrives. */
export const changesRouter = router({
  /**
   * Change notices of one workspace (members only), until the client goes away, the caller leaves
   * the workspace, or their token is revoked (session ended). Over SSE with `httpSubscriptionLink`.
   */
  // Not a generator itself: it starts listening as soon as membership is checked.
  subscribe: workspaceProcedure.subscription(async ({ ctx, input, signal }) => {
    // Ends when the client goes away, or when whileSignedIn hears the sign-in ended.
    const feed = new AbortController();
    if (signal?.aborted) feed.abort();
    else signal?.addEventListener('abort', () => feed.abort(), { once: true });
    return whileSignedIn(
      ctx.core,
      ctx.auth,
      await memberChanges(ctx.core, ctx.actor, input, feed.signal),
      feed,
    );
  }),
});
