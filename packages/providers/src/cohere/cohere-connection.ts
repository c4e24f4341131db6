import type { CallContext } from '../spec/adapter.ts';
import { InvalidCredentialsError } from '../spec/errors.ts';
import { baseUrl, stringValue } from '../shared/fields.ts';
import { secretValues } from '../shared/redact.ts';
import type { ErrorContext } from '../shared/upstream-errors.ts';
import { COHERE_DEFAULT_BASE_URL, cohereManifest } from './cohere-manifest.ts';

/** Where and how one call reaches Cohere, read from the credential. */
export interface CohereConnection {
  /** Base URL without a trailing slash. */
  baseUrl: string;
  headers: Record<string, string>;
  proxyUrl: string | undefined;
  errorContext: ErrorContext;
}

/** Reads the credential; a missing key fails here, before any call. */
export function cohereConnection(context: CallContext, notFoundField?: string): CohereConnection {
  const apiKey = stringValue(context.credentials, 'api_key');
  if (!apiKey) throw new InvalidCredentialsError('Cohere: an API key is required', { provider: 'cohere' });
  return {
    baseUrl: baseUrl(context.credentials, COHERE_DEFAULT_BASE_URL),
    headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json' },
    proxyUrl: stringValue(context.credentials, 'proxy_url'),
    errorContext: {
      provider: 'cohere',
      label: 'Cohere',
      secrets: secretValues(
        [cohereManifest.providerCredentialForm, cohereManifest.modelCredentialForm],
        context.credentials,
      ),
      ...(notFoundField ? { notFoundField } : {}),
    },
  };
}
