import { CoreError, type FieldErrors } from '@switchboard/core';
import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { ZodError } from 'zod';

const CODES: Record<CoreError['code'], TRPC_ERROR_CODE_KEY> = {
  BAD_REQUEST: 'BAD_REQUEST',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  PRECONDITION_FAILED: 'PRECONDITION_FAILED',
  TOO_MANY_REQUESTS: 'TOO_MANY_REQUESTS',
};

/** Core errors become tRPC errors with the same meaning; anything else stays an internal error. */
export function toTRPCError(error: unknown): unknown {
  if (error instanceof CoreError)
    return new TRPCError({ code: CODES[error.code], message: error.message, cause: error });
  return error;
}

/** Field errors from zod issues (`providers.0.name`) or from a core error. */
export function fieldErrorsOf(error: TRPCError): FieldErrors | null {
  const cause = error.cause;
  if (cause instanceof ZodError) {
    const fields: FieldErrors = {};
    for (const issue of cause.issues) {
      const path = issue.path.map(String).join('.') || '(input)';
      fields[path] = [...(fields[path] ?? []), issue.message];
    }
    return fields;
  }
  if (cause instanceof CoreError && cause.fieldErrors) return cause.fieldErrors;
  return null;
}

/** Message for a zod failure: every field named, so a CLI or a script user sees what to fix. */
export function zodMessage(error: ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.map(String).join('.') || 'input'}: ${issue.message}`)
    .join('; ');
}
