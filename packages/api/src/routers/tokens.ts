import {
  createPersonalAccessToken,
  listPersonalAccessTokens,
  revokePersonalAccessToken,
} from '@switchboard/core';
import { z } from 'zod';
import { authedProcedure, router } from '../trpc.ts';

/** The signed-in user's personal access tokens (`sbp_…`). */
export const tokensRouter = router({
  /** Tokens without their secrets, revoked ones included. */
  list: authedProcedure.query(({ ctx }) => listPersonalAccessTokens(ctx.core, ctx.actor)),

  /**
   * Creates a token, optionally expiring (`expiresInDays`, 1-365) and limited to `scopes`
   * (`read`, `api-keys.own`, `manage`); the response is the only time its secret is shown.
   */
  create: authedProcedure
    .input(
      z.object({
        name: z.string(),
        expiresInDays: z.number().optional(),
        scopes: z.array(z.string()).optional(),
      }),
    )
    .mutation(({ ctx, input }) => createPersonalAccessToken(ctx.core, ctx.actor, input)),

  /** Revokes one of the user's own tokens. */
  revoke: authedProcedure
    .input(z.object({ tokenId: z.string().min(1, 'tokenId is required') }))
    .mutation(({ ctx, input }) => revokePersonalAccessToken(ctx.core, ctx.actor, input)),
});
