import { BadRequestError, ModelNotFoundError, type ProviderError } from '@switchboard/provider-spec';
import type { HttpClient, HttpSettings } from '../shared/http.ts';
import { carriedErrorOptions, createRefinedHttpClient } from '../shared/refine-errors.ts';
import type { UpstreamErrorInfo } from '../shared/upstream-errors.ts';

/**
 * Reads Voyage's error body, `{"detail": "..."}`; a 422 may carry FastAPI's
 * `detail: [{loc, msg}]`, whose last `loc` entry names the request field.
 */
export function readVoyageErrorBody(text: string): UpstreamErrorInfo {
  let body: { detail?: unknown };
  try {
    body = JSON.parse(text) as { detail?: unknown };
  } catch {
    return { message: text.slice(0, 500) };
  }
  const detail = body && typeof body === 'object' ? body.detail : undefined;
  if (typeof detail === 'string') return { message: detail };
  if (Array.isArray(detail)) {
    const first = detail[0] as { loc?: unknown[]; msg?: string } | undefined;
    const location = first?.loc?.at(-1);
    return {
      message: first?.msg ?? JSON.stringify(detail),
      ...(typeof location === 'string' ? { param: location } : {}),
    };
  }
  return { message: text.slice(0, 500) };
}

/** Voyage answers an unknown model with 400 and a sentence naming it, not with 404. */
export function refineVoyageError(error: ProviderError): ProviderError {
  const unknownModel =
    error instanceof BadRequestError &&
    error.status === 400 &&
    /\bmodel\b.*\b(not found|not supported|does not exist)\b/i.test(error.upstreamMessage ?? '');
  if (!unknownModel) return error;
  return new ModelNotFoundError(error.message, { ...carriedErrorOptions(error), field: 'model' });
}

/** The HTTP client every Voyage call goes through; it throws only ProviderErrors. */
export function createVoyageHttpClient(settings: HttpSettings): HttpClient {
  return createRefinedHttpClient(settings, readVoyageErrorBody, refineVoyageError);
}
