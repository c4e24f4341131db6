import { ProviderError, type ProviderErrorOptions } from '@switchboard/provider-spec';
import { createHttpClient, type ErrorBodyReader, type HttpClient, type HttpSettings } from './http.ts';

/** What a refined error keeps from the one it replaces: the provider, the status and the upstream message. */
export function carriedErrorOptions(error: ProviderError): ProviderErrorOptions {
  return {
    provider: error.provider,
    ...(error.status === undefined ? {} : { status: error.status }),
    ...(error.upstreamMessage === undefined ? {} : { upstreamMessage: error.upstreamMessage }),
  };
}

/**
 * An HTTP client (as createHttpClient) whose ProviderErrors pass through `refine` first, for
 * providers that use a status their own way (a 400 for an unknown model, Cohere's 498).
 */
export function createRefinedHttpClient(
  settings: HttpSettings,
  readErrorBody: ErrorBodyReader,
  refine: (error: ProviderError) => unknown,
): HttpClient {
  const client = createHttpClient(settings, readErrorBody);
  return {
    async send(request, context) {
      try {
        return await client.send(request, context);
      } catch (error) {
        throw error instanceof ProviderError ? refine(error) : error;
      }
    },
  };
}
