import {
  BadRequestError,
  MalformedResponseError,
  ModelNotFoundError,
  type ProviderError,
  TimeoutError,
  UpstreamUnavailableError,
} from '@switchboard/provider-spec';
import type { UpstreamErrorInfo } from '../shared/upstream-errors.ts';
import { redact } from '../shared/redact.ts';
import type { ErrorContext } from '../shared/upstream-errors.ts';

/**
 * Reads Ollama's `{"error":"..."}` body. Ollama names no field, so the request field at
 * fault is recognised from the message (the texts come from server/routes.go).
 */
export function readOllamaErrorBody(text: string, _status: number): UpstreamErrorInfo {
  let message = text.slice(0, 500);
  try {
    const body = JSON.parse(text) as { error?: unknown };
    if (typeof body.error === 'string') message = body.error;
    else if (body.error !== undefined) message = JSON.stringify(body.error);
  } catch {
    // A proxy in front of Ollama may answer HTML or plain text: keep its first words.
  }
  const param = /does not support tools/i.test(message)
    ? 'tools'
    : /does not support (chat|generate|completion|embedding|insert|vision)/i.test(message)
      ? 'model'
      : /invalid input type/i.test(message)
        ? 'input'
        : undefined;
  return param ? { message, param } : { message };
}

/** A `{"error": ...}` line in a stream that had already begun: the model runner failed mid-answer. */
export function streamLineError(message: string, context: ErrorContext): ProviderError {
  const upstreamMessage = redact(message, context.secrets);
  return new UpstreamUnavailableError(`${context.label}: ${upstreamMessage}`, {
    provider: context.provider,
    upstreamMessage,
  });
}

/**
 * While validating an endpoint, a failure that says nothing about the key or the model
 * is the base URL's fault (wrong host, not an Ollama server): the console shows it there.
 */
export function blameBaseUrl(error: ProviderError): ProviderError {
  if (error.field !== undefined) return error;
  const options = {
    provider: error.provider,
    status: error.status,
    upstreamMessage: error.upstreamMessage,
    field: 'base_url',
    cause: error,
  };
  if (error.code === 'upstream_unavailable') return new UpstreamUnavailableError(error.message, options);
  if (error.code === 'timeout') return new TimeoutError(error.message, options);
  if (error.code === 'malformed_response') return new MalformedResponseError(error.message, options);
  if (error.code === 'model_not_found') return new ModelNotFoundError(error.message, options);
  if (error.code === 'bad_request') return new BadRequestError(error.message, options);
  return error;
}
