import { createHttpClient, type HttpClient, type HttpSettings } from '../shared/http.ts';
import { readCommonErrorBody, type UpstreamErrorInfo } from '../shared/upstream-errors.ts';
import {
  BadRequestError,
  InvalidCredentialsError,
  ModelNotFoundError,
  ProviderError,
} from '../spec/errors.ts';

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
  const options = {
    provider: error.provider,
    ...(error.status === undefined ? {} : { status: error.status }),
    ...(error.upstreamMessage === undefined ? {} : { upstreamMessage: error.upstreamMessage }),
  };
  if (error.status === 498) return new InvalidCredentialsError(error.message, options);
  if (/^model .* not found/i.test(error.upstreamMessage ?? '')) {
    return new ModelNotFoundError(error.message, { ...options, field: 'model' });
  }
  return error;
}

/** The HTTP client every Cohere call goes through; it throws only ProviderErrors. */
export function createCohereHttpClient(settings: HttpSettings): HttpClient {
  const client = createHttpClient(settings, readCohereErrorBody);
  return {
    async send(request, context) {
      try {
        return await client.send(request, context);
      } catch (error) {
        throw error instanceof ProviderError ? refineCohereError(error) : error;
      }
    },
  };
}
