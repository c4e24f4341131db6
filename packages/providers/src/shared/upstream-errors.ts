import {
  BadRequestError,
  InvalidCredentialsError,
  ModelNotFoundError,
  PermissionDeniedError,
  type ProviderError,
  type ProviderId,
  QuotaExceededError,
  RateLimitedError,
  TimeoutError,
  UpstreamUnavailableError,
} from '@switchboard/provider-spec';
import { redact } from './redact.ts';

/** What a provider's error body says, in the terms every provider shares. */
export interface UpstreamErrorInfo {
  message: string;
  /** Provider's error type or code (`insufficient_quota`, `overloaded_error`, `RESOURCE_EXHAUSTED`). */
  code?: string;
  /** Request field at fault, when the provider names it. */
  param?: string;
}

export type ResponseHeaders = Record<string, string | string[] | undefined>;

const header = (headers: ResponseHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** Milliseconds to wait, from `retry-after-ms`, or `retry-after` as seconds or an HTTP date. */
export function retryAfterMs(headers: ResponseHeaders, now = Date.now()): number | undefined {
  const ms = header(headers, 'retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Math.max(0, Math.round(Number(ms)));
  const value = header(headers, 'retry-after');
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const LIMITS = ['requests', 'tokens', 'input-tokens', 'output-tokens'];

/** OpenAI's reset durations: `1s`, `6m0s`, `250ms`, `1h2m3.5s`. */
function durationMs(value: string): number | undefined {
  let total = 0;
  let matched = '';
  for (const part of value.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    const amount = Number(part[1]);
    const unit = part[2];
    total += amount * (unit === 'ms' ? 1 : unit === 's' ? 1_000 : unit === 'm' ? 60_000 : 3_600_000);
    matched += part[0];
  }
  return matched === value.trim() && matched !== '' ? Math.round(total) : undefined;
}

/**
 * Milliseconds until an exhausted rate limit resets, from the rate-limit headers a 429 may carry
 * instead of Retry-After: Anthropic's `anthropic-ratelimit-*-reset` (RFC 3339) and OpenAI's
 * `x-ratelimit-reset-*` (`6m0s`), for the limits whose `remaining` is 0 (the latest of them).
 */
export function rateLimitResetMs(headers: ResponseHeaders, now = Date.now()): number | undefined {
  let wait: number | undefined;
  for (const limit of LIMITS) {
    for (const [prefix, parse] of [
      ['anthropic-ratelimit-', (text: string) => Date.parse(text) - now],
      ['x-ratelimit-', durationMs],
    ] as const) {
      const remaining =
        header(headers, `${prefix}remaining-${limit}`) ?? header(headers, `${prefix}${limit}-remaining`);
      const reset = header(headers, `${prefix}reset-${limit}`) ?? header(headers, `${prefix}${limit}-reset`);
      if (remaining?.trim() !== '0' || !reset) continue;
      const ms = parse(reset.trim());
      if (ms !== undefined && Number.isFinite(ms)) wait = Math.max(wait ?? 0, Math.max(0, ms));
    }
  }
  return wait;
}

const QUOTA = /quota|billing|credit|insufficient_funds|payment/i;

/** Label shown before upstream messages: `OpenAI: Incorrect API key provided`. */
export interface ErrorContext {
  provider: ProviderId;
  label: string;
  secrets: readonly string[];
  /** Field blamed for a 404 (`model` normally; `base_url` while validating an endpoint). */
  notFoundField?: string;
}

/** The error class for a non-2xx answer, by status, with the provider's reason and no secret. */
export function errorForStatus(
  status: number,
  info: UpstreamErrorInfo,
  headers: ResponseHeaders,
  context: ErrorContext,
): ProviderError {
  const upstreamMessage = redact(info.message || `HTTP ${status}`, context.secrets);
  const message = `${context.label}: ${upstreamMessage}`;
  const base = { provider: context.provider, status, upstreamMessage };
  const quota = QUOTA.test(info.code ?? '') || QUOTA.test(info.message);
  if (status === 401) return new InvalidCredentialsError(message, base);
  if (status === 402) return new QuotaExceededError(message, base);
  if (status === 403)
    return quota ? new QuotaExceededError(message, base) : new PermissionDeniedError(message, base);
  if (status === 404)
    return new ModelNotFoundError(message, { ...base, field: context.notFoundField ?? 'model' });
  if (status === 429) {
    if (
      quota &&
      /insufficient|exceeded your current quota|billing|credit/i.test(`${info.code} ${info.message}`)
    ) {
      return new QuotaExceededError(message, base);
    }
    const wait = retryAfterMs(headers) ?? rateLimitResetMs(headers);
    return new RateLimitedError(message, { ...base, ...(wait === undefined ? {} : { retryAfterMs: wait }) });
  }
  if (status === 408 || status === 504) return new TimeoutError(message, base);
  if (status >= 500) {
    const wait = retryAfterMs(headers);
    return new UpstreamUnavailableError(message, {
      ...base,
      ...(wait === undefined ? {} : { retryAfterMs: wait }),
    });
  }
  return new BadRequestError(message, { ...base, ...(info.param ? { field: info.param } : {}) });
}

/** Reads the common `{ error: { message, type, code, param } }` and `{ message }` / `{ detail }` shapes. */
export function readCommonErrorBody(text: string): UpstreamErrorInfo {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const error = body.error;
    if (error && typeof error === 'object') {
      const e = error as Record<string, unknown>;
      const code = [e.code, e.type, e.status].find((value) => typeof value === 'string') as
        | string
        | undefined;
      return {
        message: String(e.message ?? JSON.stringify(error)),
        ...(code ? { code } : {}),
        ...(typeof e.param === 'string' ? { param: e.param } : {}),
      };
    }
    if (typeof error === 'string') return { message: error };
    for (const key of ['message', 'detail', 'msg']) {
      const value = body[key];
      if (typeof value === 'string') return { message: value };
      if (value !== undefined) return { message: JSON.stringify(value) };
    }
    return { message: text.slice(0, 500) };
  } catch {
    return { message: text.slice(0, 500) };
  }
}
