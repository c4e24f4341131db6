import { BadRequestError, type ProviderError, QuotaExceededError } from '@switchboard/provider-spec';
import { carriedErrorOptions } from '../shared/refine-errors.ts';
import {
  type ErrorContext,
  errorForStatus,
  readCommonErrorBody,
  type UpstreamErrorInfo,
} from '../shared/upstream-errors.ts';

/**
 * Reads `{type:'error', error:{type, message}}`. Anthropic prefixes validation messages with the
 * path at fault (`messages.2: ...`, `max_tokens: ...`), which becomes the field.
 */
export function readAnthropicErrorBody(text: string): UpstreamErrorInfo {
  const info = readCommonErrorBody(text);
  const colon = info.message.indexOf(': ');
  if (colon > 0 && colon < 60) {
    const path = info.message.slice(0, colon);
    const dot = path.indexOf('.');
    const field = dot === -1 ? path : path.slice(0, dot);
    if (/^[a-z_]+$/.test(field)) return { ...info, param: field };
  }
  return info;
}

/** Anthropic answers an empty balance with a 400, which is a quota problem rather than a bad request. */
export function refineAnthropicError(error: unknown): unknown {
  if (error instanceof BadRequestError && /credit balance/i.test(error.upstreamMessage ?? '')) {
    return new QuotaExceededError(error.message, carriedErrorOptions(error));
  }
  return error;
}

// The HTTP status each error type arrives with, so mid-stream `event: error` maps like a real response.
const STATUS_BY_ERROR_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** The ProviderError for an `event: error` that arrives after the stream began. */
export function streamEventError(
  data: { error?: { type?: string; message?: string } },
  context: ErrorContext,
): ProviderError {
  const type = data.error?.type ?? 'api_error';
  const status = STATUS_BY_ERROR_TYPE[type] ?? 500;
  const error = errorForStatus(status, { message: data.error?.message ?? type, code: type }, {}, context);
  return refineAnthropicError(error) as ProviderError;
}
