import { BadRequestError, InvalidCredentialsError, ModelNotFoundError } from '@switchboard/provider-spec';
import type { HttpClient, HttpSettings } from '../shared/http.ts';
import { carriedErrorOptions, createRefinedHttpClient } from '../shared/refine-errors.ts';
import { readCommonErrorBody, type UpstreamErrorInfo } from '../shared/upstream-errors.ts';

/** Reads Cohere's error body, `{"message": "..."}` (sometimes with an `id`). */
export function readCohereErrorBody(text: string): UpstreamErrorInfo {
  return readCommonErrorBody(text);
}

/**
 * Adjusts the shared status mapping to Cohere's own statuses: 498 is Cohere's
 * "invalid token", and some endpoints answer an unknown model with 400 instead of 404.
 */
export function refineCohereError(error: unknown): unknown {
  if (!(error instanceof BadRequestError)) return error;
  const options = carriedErrorOptions(error);
  if (error.status === 498) return new InvalidCredentialsError(error.message, options);
  if (/^model .* not found/i.test(error.upstreamMessage ?? '')) {
    return new ModelNotFoundError(error.message, { ...options, field: 'model' });
  }
  return error;
}

/** The HTTP client every Cohere call goes through; it throws only ProviderErrors. */
export function createCohereHttpClient(settings: HttpSettings): HttpClient {
  return createRefinedHttpClient(settings, readCohereErrorBody, refineCohereError);
}
