import type { CredentialValues } from '@switchboard/provider-spec';
import { baseUrl, stringValue } from '../shared/fields.ts';
import type { WireEndpoint, WireOperation } from './openai-compatible-wire.ts';

/** Path of each operation below an OpenAI-style base URL. */
export const OPERATION_PATHS: Record<WireOperation, string> = {
  chat: '/chat/completions',
  embeddings: '/embeddings',
  transcriptions: '/audio/transcriptions',
  speech: '/audio/speech',
  rerank: '/rerank',
  models: '/models',
  responses: '/responses',
};

/** `Authorization: Bearer <api_key>` when a key is set (local servers often run without one). */
export function bearer(credentials: CredentialValues): Record<string, string> {
  const key = stringValue(credentials, 'api_key');
  return key ? { authorization: `Bearer ${key}` } : {};
}

/** An endpoint resolver for providers that only differ by base URL and extra headers. */
export function bearerEndpoint(
  defaultBaseUrl: string,
  extraHeaders: (credentials: CredentialValues) => Record<string, string> = () => ({}),
): (operation: WireOperation, credentials: CredentialValues) => WireEndpoint {
  return (operation, credentials) => ({
    url: baseUrl(credentials, defaultBaseUrl) + OPERATION_PATHS[operation],
    headers: { ...bearer(credentials), ...extraHeaders(credentials) },
  });
}
