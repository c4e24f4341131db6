import { baseUrl, stringValue } from '../shared/fields.ts';
import { secretValues } from '../shared/redact.ts';
import type { ErrorContext } from '../shared/upstream-errors.ts';
import type { CallContext } from '../spec/adapter.ts';
import { InvalidCredentialsError } from '../spec/errors.ts';
import { VOYAGE_DEFAULT_BASE_URL, voyageManifest } from './voyage-manifest.ts';

/** Where and how one call reaches Voyage, read from the credential. */
export interface VoyageConnection {
  /** Base URL without a trailing slash (`https://api.voyageai.com/v1`). */
  baseUrl: string;
  headers: Record<string, string>;
  proxyUrl: string | undefined;
  errorContext: ErrorContext;
}

/** Reads the credential; a missing key fails here, before any call. */
export function voyageConnection(context: CallContext, notFoundField?: string): VoyageConnection {
  const apiKey = stringValue(context.credentials, 'api_key');
  if (!apiKey) throw new InvalidCredentialsError('Voyage AI: an API key is required', { provider: 'voyage' });
  return {
    baseUrl: baseUrl(context.credentials, VOYAGE_DEFAULT_BASE_URL),
    headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json' },
    proxyUrl: stringValue(context.credentials, 'proxy_url'),
    errorContext: {
      provider: 'voyage',
      label: 'Voyage AI',
      secrets: secretValues(
        [voyageManifest.providerCredentialForm, voyageManifest.modelCredentialForm],
        context.credentials,
      ),
      ...(notFoundField ? { notFoundField } : {}),
    },
  };
}
