import { TRPCClientError } from '@trpc/client';
import * as vscode from 'vscode';

/** Why a call to the server failed, in the terms the user can act on. */
export type FailureKind =
  | 'unreachable'
  | 'unauthorized'
  | 'forbidden'
  | 'conflict'
  | 'invalid'
  | 'throttled'
  | 'other';

/** A failed call, described for a message: never carries a token or a key. */
export interface Failure {
  kind: FailureKind;
  message: string;
}

/** The field errors of a BAD_REQUEST (`{ api_key: ['Incorrect API key'] }`), if any. */
export function fieldErrorsOf(error: unknown): Record<string, string[]> | undefined {
  if (!(error instanceof TRPCClientError)) return undefined;
  const fields = (error.data as { fieldErrors?: Record<string, string[]> | null } | undefined)?.fieldErrors;
  return fields ?? undefined;
}

/** Classifies any error thrown by the typed client or by `fetch`. */
export function describeFailure(error: unknown, serverUrl: string): Failure {
  if (error instanceof TRPCClientError) {
    const code = (error.data as { code?: string } | undefined)?.code;
    if (code === 'UNAUTHORIZED')
      return {
        kind: 'unauthorized',
        message: vscode.l10n.t(
          'The server at {0} no longer accepts your token (revoked or expired).',
          serverUrl,
        ),
      };
    if (code === 'FORBIDDEN') return { kind: 'forbidden', message: error.message };
    if (code === 'CONFLICT') return { kind: 'conflict', message: error.message };
    if (code === 'BAD_REQUEST' || code === 'NOT_FOUND') {
      // The provider's own reason comes as a field error; say it unless the message already does.
      const reasons = Object.values(fieldErrorsOf(error) ?? {})
        .flat()
        .filter((reason) => !error.message.includes(reason));
      return { kind: 'invalid', message: [error.message, ...reasons].join(' ') };
    }
    // No tRPC code: the request never got a tRPC answer (network error, or not a Switchboard server).
    if (!code) return unreachable(serverUrl, error.cause ?? error);
    return { kind: 'other', message: error.message };
  }
  if (error instanceof TypeError) return unreachable(serverUrl, error);
  return { kind: 'other', message: error instanceof Error ? error.message : String(error) };
}

function unreachable(serverUrl: string, cause: unknown): Failure {
  const reason = networkReason(cause);
  return {
    kind: 'unreachable',
    message: reason
      ? vscode.l10n.t('Cannot reach the Switchboard server at {0} ({1}).', serverUrl, reason)
      : vscode.l10n.t('Cannot reach the Switchboard server at {0}.', serverUrl),
  };
}

/** The system error code of a failed fetch (ECONNREFUSED, ENOTFOUND...), when there is one. */
function networkReason(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
