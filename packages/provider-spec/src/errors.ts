import type { ProviderId } from './manifest.ts';

/** Stable error codes: the gateway picks cooldowns from them, the console picks messages. */
export type ProviderErrorCode =
  | 'invalid_credentials'
  | 'permission_denied'
  | 'model_not_found'
  | 'rate_limited'
  | 'quota_exceeded'
  | 'bad_request'
  | 'upstream_unavailable'
  | 'timeout'
  | 'malformed_response'
  | 'unsupported'
  | 'aborted';

/** Fields every provider error carries. */
export interface ProviderErrorOptions {
  provider: ProviderId;
  /** HTTP status from the upstream, when there was a response. */
  status?: number;
  /** The upstream's own message, with every credential value removed. */
  upstreamMessage?: string;
  /** Credential form field (`api_key`, `base_url`) or request field (`messages`) at fault, when known. */
  field?: string;
  cause?: unknown;
}

/** Base of every error an adapter throws. The message never contains a credential value. */
export class ProviderError extends Error {
  override name = 'ProviderError';
  readonly code: ProviderErrorCode;
  readonly provider: ProviderId;
  readonly status: number | undefined;
  readonly upstreamMessage: string | undefined;
  readonly field: string | undefined;

  constructor(code: ProviderErrorCode, message: string, options: ProviderErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.provider = options.provider;
    this.status = options.status;
    this.upstreamMessage = options.upstreamMessage;
    this.field = options.field;
  }
}

/** 401, or a key the provider rejects: the key is wrong or revoked. */
export class InvalidCredentialsError extends ProviderError {
  override name = 'InvalidCredentialsError';
  constructor(message: string, options: ProviderErrorOptions) {
    super('invalid_credentials', message, { field: 'api_key', ...options });
  }
}

/** 403: the key is valid but may not do this (region, organization, model access). */
export class PermissionDeniedError extends ProviderError {
  override name = 'PermissionDeniedError';
  constructor(message: string, options: ProviderErrorOptions) {
    super('permission_denied', message, options);
  }
}

/** The model (or Azure deployment) does not exist for this key. */
export class ModelNotFoundError extends ProviderError {
  override name = 'ModelNotFoundError';
  constructor(message: string, options: ProviderErrorOptions) {
    super('model_not_found', message, options);
  }
}

/** 429 that will pass: wait `retryAfterMs` (from Retry-After and friends) when the provider says. */
export class RateLimitedError extends ProviderError {
  override name = 'RateLimitedError';
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: ProviderErrorOptions & { retryAfterMs?: number }) {
    super('rate_limited', message, options);
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Out of credit or over a hard quota: waiting does not help. */
export class QuotaExceededError extends ProviderError {
  override name = 'QuotaExceededError';
  constructor(message: string, options: ProviderErrorOptions) {
    super('quota_exceeded', message, options);
  }
}

/** The request is wrong; `field` names the offending field when the provider says. */
export class BadRequestError extends ProviderError {
  override name = 'BadRequestError';
  constructor(message: string, options: ProviderErrorOptions) {
    super('bad_request', message, options);
  }
}

/** 5xx, connection refused or reset, DNS failure, or a stream cut short. */
export class UpstreamUnavailableError extends ProviderError {
  override name = 'UpstreamUnavailableError';
  /** How long the provider asked to wait (a 503 or 529 with Retry-After), when it said. */
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: ProviderErrorOptions & { retryAfterMs?: number }) {
    super('upstream_unavailable', message, options);
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Connect, first-byte or idle-stream timeout. */
export class TimeoutError extends ProviderError {
  override name = 'TimeoutError';
  constructor(message: string, options: ProviderErrorOptions) {
    super('timeout', message, options);
  }
}

/** The upstream answered 2xx with a body that is not what its API documents. */
export class MalformedResponseError extends ProviderError {
  override name = 'MalformedResponseError';
  constructor(message: string, options: ProviderErrorOptions) {
    super('malformed_response', message, options);
  }
}

/** The provider does not offer this operation or model type. */
export class UnsupportedError extends ProviderError {
  override name = 'UnsupportedError';
  constructor(message: string, options: ProviderErrorOptions) {
    super('unsupported', message, options);
  }
}

/** The caller aborted (client went away); not the provider's fault, no cooldown. */
export class AbortedError extends ProviderError {
  override name = 'AbortedError';
  constructor(options: ProviderErrorOptions) {
    super('aborted', 'The request was cancelled', options);
  }
}

export const isProviderError = (error: unknown): error is ProviderError => error instanceof ProviderError;
