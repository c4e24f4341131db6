import type { ProviderError } from '@switchboard/provider-spec';
import {
  type ErrorContext,
  errorForStatus,
  readCommonErrorBody,
  type UpstreamErrorInfo,
} from '../shared/upstream-errors.ts';

// One reader for every OpenAI-wire upstream: OpenAI's `{error:{message,type,param,code}}`,
// Mistral's unwrapped `{object:"error",message,...}` (whose message may itself be a
// FastAPI validation object), FastAPI's `{detail}` (Xinference, vLLM), OpenRouter's
// numeric `code` with `metadata.error_type`, and bare strings (llama.cpp, LM Studio).

interface ValidationIssue {
  loc?: unknown[];
  msg?: string;
}

function fromValidationIssues(detail: unknown): UpstreamErrorInfo | undefined {
  if (!Array.isArray(detail) || detail.length === 0) return undefined;
  const issues = detail as ValidationIssue[];
  const message = issues
    .map((issue) => `${(issue.loc ?? []).join('.')}: ${issue.msg ?? 'invalid'}`)
    .join('; ');
  const location = issues[0]?.loc;
  const last = Array.isArray(location) ? location[location.length - 1] : undefined;
  return { message, ...(typeof last === 'string' ? { param: last } : {}) };
}

/** Reads an OpenAI-family error body into the shared terms. */
export function readOpenAIErrorBody(text: string, _status: number): UpstreamErrorInfo {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return readCommonErrorBody(text);
  }
  if (!body || typeof body !== 'object') return readCommonErrorBody(text);
  const record = body as Record<string, unknown>;
  const error = record.error;
  if (error && typeof error === 'object') {
    const inner = error as Record<string, unknown>;
    const common = readCommonErrorBody(text);
    const metadata = inner.metadata as Record<string, unknown> | undefined;
    const errorType = typeof metadata?.error_type === 'string' ? metadata.error_type : undefined;
    return errorType && !common.code ? { ...common, code: errorType } : common;
  }
  // Mistral: `message` may be a FastAPI validation object instead of a string.
  const nested = record.message;
  if (nested && typeof nested === 'object') {
    const issues = fromValidationIssues((nested as Record<string, unknown>).detail);
    if (issues) return issues;
  }
  const issues = fromValidationIssues(record.detail);
  if (issues) return issues;
  const common = readCommonErrorBody(text);
  const code = [record.code, record.type].find((value) => typeof value === 'string') as string | undefined;
  return code && !common.code ? { ...common, code } : common;
}

/** The HTTP status a Responses API stream failure stands for; other codes blame the request. */
const RESPONSES_FAILURE_STATUS: Record<string, number> = {
  server_error: 500,
  rate_limit_exceeded: 429,
  insufficient_quota: 429,
  vector_store_timeout: 504,
};

/**
 * The failure a Responses API stream reports midway: a `response.failed` event (its response's
 * `error`) or an `error` event. A server error, or one without a code, is the provider's; codes
 * such as `invalid_prompt` or `invalid_image` blame the request, as a 400 would.
 */
export function responsesStreamError(
  event: Record<string, unknown>,
  context: ErrorContext,
): ProviderError | undefined {
  let failure: Record<string, unknown> | undefined;
  if (event.type === 'error') failure = event;
  else if (event.type === 'response.failed') {
    const error = (event.response as { error?: unknown } | undefined)?.error;
    failure = error && typeof error === 'object' ? (error as Record<string, unknown>) : {};
  }
  if (!failure) return undefined;
  const code = typeof failure.code === 'string' ? failure.code : undefined;
  const message = typeof failure.message === 'string' ? failure.message : (code ?? 'the response failed');
  const status = code === undefined ? 500 : (RESPONSES_FAILURE_STATUS[code] ?? 400);
  return errorForStatus(status, { message, ...(code ? { code } : {}) }, {}, context);
}
