import type { Actor } from '@switchboard/core';
import { initTRPC, TRPCError } from '@trpc/server';
import { z, ZodError } from 'zod';
import type { ApiContext } from './context.ts';
import { fieldErrorsOf, toTRPCError, zodMessage } from './errors.ts';

const t = initTRPC.context<ApiContext>().create({
  errorFormatter({ shape, error }) {
    const internal = error.code === 'INTERNAL_SERVER_ERROR';
    return {
      ...shape,
      // Internal errors may carry anything (SQL, paths): the client gets a fixed text.
      message: internal
        ? 'Internal server error'
        : error.cause instanceof ZodError
          ? zodMessage(error.cause)
          : shape.message,
      data: { code: shape.data.code, httpStatus: shape.data.httpStatus, fieldErrors: fieldErrorsOf(error) },
    };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Turns core errors into tRPC errors, for every procedure. */
const mapCoreErrors = t.middleware(async function mapCoreErrors({ next }) {
  const result = await next();
  if (!result.ok) {
    const mapped = toTRPCError(result.error.cause ?? result.error);
    if (mapped instanceof TRPCError) throw mapped;
  }
  return result;
});

/** Anyone, signed in or not. */
export const publicProcedure = t.procedure.use(mapCoreErrors);

/** A signed-in user (session cookie or personal access token); ctx gains `actor`, what core services take. */
export const authedProcedure = publicProcedure.use(function requireUser({ ctx, next }) {
  if (!ctx.auth)
    throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in, or send a personal access token' });
  const actor: Actor = { kind: 'user', userId: ctx.auth.userId, scopes: ctx.auth.scopes };
  return next({ ctx: { ...ctx, auth: ctx.auth, actor } });
});

/** Input every workspace-scoped procedure has. */
export const workspaceInput = z.object({ workspaceId: z.string().min(1, 'workspaceId is required') });

/**
 * A signed-in user acting in the workspace named by `input.workspaceId`. It reads nothing:
 * membership and role are checked once, in core (`authorize`), by the function the procedure calls.
 */
export const workspaceProcedure = authedProcedure.input(workspaceInput);
