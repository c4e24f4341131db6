import {
  InvalidCredentialsError,
  type ProviderError,
  ProviderError as ProviderErrorClass,
  RateLimitedError,
} from '@switchboard/provider-spec';
import { carriedErrorOptions } from '../shared/refine-errors.ts';
import { type ErrorContext, errorForStatus, type UpstreamErrorInfo } from '../shared/upstream-errors.ts';

/** What a Google error body says beyond the shared terms. */
export interface GeminiErrorDetails {
  info: UpstreamErrorInfo;
  /** From `google.rpc.RetryInfo.retryDelay` ("56s", "45.5s"). */
  retryDelayMs?: number;
  /** From `google.rpc.ErrorInfo.reason` (`API_KEY_INVALID`, `SERVICE_DISABLED`). */
  reason?: string;
}

interface GoogleErrorBody {
  code?: number;
  message?: string;
  status?: string;
  details?: {
    '@type'?: string;
    reason?: string;
    retryDelay?: string;
    fieldViolations?: { field?: string }[];
  }[];
}

// Google names request fields by their own paths; the client knows them by the canonical names.
const CANONICAL_FIELD: Record<string, string> = {
  contents: 'messages',
  system_instruction: 'messages',
  systemInstruction: 'messages',
  tools: 'tools',
  tool_config: 'tool_choice',
  toolConfig: 'tool_choice',
};

/** Parses "56s" / "45.5s" into milliseconds. */
function durationMs(value: string | undefined): number | undefined {
  if (!value?.endsWith('s')) return undefined;
  const seconds = Number(value.slice(0, -1));
  return Number.isFinite(seconds) ? Math.round(seconds * 1000) : undefined;
}

/** Reads a parsed `{error:{code,message,status,details}}` object. */
export function readGoogleError(error: GoogleErrorBody): GeminiErrorDetails {
  const result: GeminiErrorDetails = {
    info: {
      message: error.message ?? error.status ?? 'unknown error',
      ...(error.status ? { code: error.status } : {}),
    },
  };
  for (const detail of error.details ?? []) {
    const type = detail['@type'] ?? '';
    if (type.endsWith('RetryInfo')) {
      const delay = durationMs(detail.retryDelay);
      if (delay !== undefined) result.retryDelayMs = delay;
    } else if (type.endsWith('ErrorInfo') && detail.reason) result.reason = detail.reason;
    else if (type.endsWith('BadRequest')) {
      const path = detail.fieldViolations?.[0]?.field ?? '';
      let end = path.length;
      for (const stop of ['.', '[']) {
        const at = path.indexOf(stop);
        if (at !== -1 && at < end) end = at;
      }
      const field = CANONICAL_FIELD[path.slice(0, end)];
      if (field) result.info.param = field;
    }
  }
  return result;
}

/** Reads `{error:{...}}`, or `[{error:{...}}]` as Google sends it without `alt=sse`. */
export function readGeminiErrorBody(text: string): GeminiErrorDetails {
  try {
    const parsed = JSON.parse(text) as unknown;
    const body = (Array.isArray(parsed) ? parsed[0] : parsed) as { error?: GoogleErrorBody } | undefined;
    if (body?.error && typeof body.error === 'object') return readGoogleError(body.error);
  } catch {
    // Not JSON (a proxy's HTML page): the text itself is the best message there is.
  }
  return { info: { message: text.slice(0, 500) } };
}

/**
 * Google-specific corrections to the status mapping: an invalid key is a 400 with
 * API_KEY_INVALID, a missing or leaked key a 403, and a 429 carries its wait in the body.
 */
export function refineGeminiError(error: unknown, details: GeminiErrorDetails | undefined): unknown {
  if (!(error instanceof ProviderErrorClass) || !details) return error;
  const options = carriedErrorOptions(error);
  const message = details.info.message;
  if (
    details.reason === 'API_KEY_INVALID' ||
    (error.status === 403 && /unregistered callers|reported as leaked|API key expired/i.test(message))
  ) {
    return new InvalidCredentialsError(error.message, options);
  }
  if (error.status === 429 && details.retryDelayMs !== undefined) {
    const headerWait = error instanceof RateLimitedError ? error.retryAfterMs : undefined;
    return new RateLimitedError(error.message, {
      ...options,
      retryAfterMs: headerWait ?? details.retryDelayMs,
    });
  }
  return error;
}

/** The ProviderError for a `{error:{...}}` object that arrives inside a stream. */
export function streamError(error: GoogleErrorBody, context: ErrorContext): ProviderError {
  const details = readGoogleError(error);
  const status = typeof error.code === 'number' && error.code >= 400 ? error.code : 500;
  return refineGeminiError(errorForStatus(status, details.info, {}, context), details) as ProviderError;
}
