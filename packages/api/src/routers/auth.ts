import {
  createTokenWithPassword,
  getMe,
  hasAnyUser,
  login,
  logout,
  SESSION_COOKIE_MAX_AGE_SECONDS,
  setupFirstOwnerAndSignIn,
} from '@switchboard/core';
import { z } from 'zod';
import { authedProcedure, publicProcedure, router } from '../trpc.ts';

/** Name of the HttpOnly cookie that carries the console's session. */
/** Name of the console's session cookie (HttpOnly; the server reads it for /trpc). */
export const SESSION_COOKIE = 'sb_session';

/** First-run setup, password sign-in and sign-out, and who is signed in. */
export const authRouter = router({
  /** Whether the server still needs its first owner (the console shows the setup page). */
  status: publicProcedure.query(async ({ ctx }) => ({ needsSetup: !(await hasAnyUser(ctx.core)) })),

  /** Creates the first owner and workspace (only while no user exists), signs in, and returns a token once. */
  setup: publicProcedure
    .input(
      z.object({
        email: z.string(),
        password: z.string(),
        name: z.string().optional(),
        workspaceName: z.string(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { session, ...result } = await setupFirstOwnerAndSignIn(ctx.core, input);
      ctx.cookies.set(SESSION_COOKIE, session.sessionToken, {
        maxAgeSeconds: SESSION_COOKIE_MAX_AGE_SECONDS,
      });
      return result;
    }),

  /** Signs in with email and password; the session goes into the HttpOnly cookie, never the response body. */
  login: publicProcedure
    .input(z.object({ email: z.string(), password: z.string() }))
    .mutation(async ({ ctx, input }) => {
      const { sessionToken, user, expiresAt } = await login(ctx.core, {
        ...input,
        clientAddress: ctx.clientAddress,
      });
      ctx.cookies.set(SESSION_COOKIE, sessionToken, { maxAgeSeconds: SESSION_COOKIE_MAX_AGE_SECONDS });
      return { user, expiresAt };
    }),

  /**
   * A personal access token from an email and password, for a script or an editor: named, expiring
   * after `expiresInDays` (1-365, default 90), limited to `scopes` when given, returned once. Throttled like `login`; never batched.
   */
  createToken: publicProcedure
    .input(
      z.object({
        email: z.string(),
        password: z.string(),
        name: z.string(),
        expiresInDays: z.number().optional(),
        scopes: z.array(z.string()).optional(),
      }),
    )
    .mutation(({ ctx, input }) =>
      createTokenWithPassword(ctx.core, { ...input, clientAddress: ctx.clientAddress }),
    ),

  /** Ends the cookie session (a token-authenticated caller has no session to end). */
  logout: authedProcedure.mutation(async ({ ctx }) => {
    if (ctx.auth.sessionId) await logout(ctx.core, ctx.auth.sessionId);
    ctx.cookies.clear(SESSION_COOKIE);
    return { ok: true as const };
  }),

  /** The signed-in user and their workspaces with roles. */
  me: authedProcedure.query(({ ctx }) => getMe(ctx.core, ctx.actor)),
});
