import type { ServerResponse } from 'node:http';
import { CoreError, isDatabaseUnavailable } from '@switchboard/core';
import { ProviderError } from '@switchboard/provider-spec';
import { BodyError } from '../http/body.ts';

/** An error the gateway answers in OpenAI's error JSON shape. */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  constructor(
    readonly status: number,
    /** OpenAI's error `type`: invalid_request_error, authentication_error, ... */
    readonly type: string,
    /** Stable code clients may branch on. */
    readonly code: string,
    message: string,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const invalidRequest = (message: string, param: string | null = null, code = 'invalid_request') =>
  new GatewayError(400, 'invalid_request_error', code, message, param);

const CORE_STATUS: Record<CoreError['code'], [number, string, string]> = {
  BAD_REQUEST: [400, 'invalid_request_error', 'invalid_request'],
  UNAUTHORIZED: [401, 'authentication_error', 'invalid_api_key'],
  FORBIDDEN: [403, 'permission_error', 'forbidden'],
  NOT_FOUND: [404, 'invalid_request_error', 'model_not_found'],
  CONFLICT: [409, 'invalid_request_error', 'conflict'],
  PRECONDITION_FAILED: [400, 'invalid_request_error', 'model_unavailable'],
  TOO_MANY_REQUESTS: [503, 'api_error', 'all_keys_cooling_down'],
};

/** The HTTP answer for a provider failure that no other key could recover. */
function fromProviderError(error: ProviderError): GatewayError {
  const message = error.message;
  switch (error.code) {
    case 'bad_request':
      return new GatewayError(
        400,
        'invalid_request_error',
        'upstream_bad_request',
        message,
        error.field ?? null,
      );
    case 'model_not_found':
      return new GatewayError(404, 'invalid_request_error', 'model_not_found', message, 'model');
    case 'unsupported':
      // A request field the model cannot honour is named, as the gateway's own checks name it.
      return error.field
        ? new GatewayError(400, 'invalid_request_error', 'unsupported_parameter', message, error.field)
        : new GatewayError(400, 'invalid_request_error', 'unsupported', message);
    case 'rate_limited':
    case 'quota_exceeded':
      return new GatewayError(429, 'rate_limit_error', error.code, message, null, retryAfterHeader(error));
    case 'invalid_credentials':
    case 'permission_denied':
      return new GatewayError(
        502,
        'api_error',
        'provider_rejected_credential',
        `${message} (a workspace admin must change or re-validate this provider's key)`,
      );
    case 'timeout':
      return new GatewayError(504, 'api_error', 'upstream_timeout', message);
    default: {
      // A provider that said when to come back (503 or 529 with Retry-After) is passed on as a
      // 503 with that Retry-After, so SDK back-off waits as long as the provider asked.
      const header = retryAfterHeader(error);
      return new GatewayError(
        'retry-after' in header ? 503 : 502,
        'api_error',
        'upstream_unavailable',
        message,
        null,
        header,
      );
    }
  }
}

/** The `Retry-After` header for a provider error that says how long to wait, or none. */
function retryAfterHeader(error: ProviderError): Record<string, string> {
  const ms =
    'retryAfterMs' in error && typeof error.retryAfterMs === 'number' ? error.retryAfterMs : undefined;
  return ms !== undefined && ms > 0 ? { 'retry-after': String(Math.ceil(ms / 1000)) } : {};
}

/** Any error, as the gateway answers it; unknown errors become a fixed 500 (details go to the log). */
export function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error instanceof BodyError)
    return new GatewayError(error.status, 'invalid_request_error', error.code, error.message);
  if (error instanceof ProviderError) return fromProviderError(error);
  if (error instanceof CoreError) {
    const [status, type, code] = CORE_STATUS[error.code];
    const param = error.fieldErrors ? (Object.keys(error.fieldErrors)[0] ?? null) : null;
    return new GatewayError(status, type, code, error.message, param);
  }
  // The database is down or restarting: an outage the client may retry, not a bug.
  if (isDatabaseUnavailable(error))
    return new GatewayError(
      503,
      'api_error',
      'service_unavailable',
      'Switchboard cannot reach its database; retry shortly',
      null,
      {
        'retry-after': '1',
      },
    );
  return new GatewayError(500, 'api_error', 'internal_error', 'Internal server error');
}

/** The body of an error, as OpenAI's SDKs parse it. */
export function errorBody(error: GatewayError): string {
  return JSON.stringify({
    error: { message: error.message, type: error.type, param: error.param, code: error.code },
  });
}

/**
 * Writes an error answer (OpenAI's JSON unless `format` says otherwise), unless the response has
 * begun (then the caller ends the stream).
 */
export function sendError(
  response: ServerResponse,
  error: GatewayError,
  format: (error: GatewayError) => string = errorBody,
): void {
  if (response.headersSent || response.destroyed) return;
  const body = format(error);
  response.writeHead(error.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...error.headers,
  });
  response.end(body);
}
