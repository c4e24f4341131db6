import {
  type CallContext,
  type CancelSignal,
  InvalidCredentialsError,
  type ProviderManifest,
} from '@switchboard/provider-spec';
import { baseUrl, stringValue } from './fields.ts';
import type { HttpClient } from './http.ts';
import { secretValues } from './redact.ts';
import type { ErrorContext } from './upstream-errors.ts';

/** Where and how one call reaches a provider that takes a Bearer API key, read from the credential. */
export interface BearerConnection {
  /** Base URL without a trailing slash. */
  baseUrl: string;
  headers: Record<string, string>;
  proxyUrl: string | undefined;
  errorContext: ErrorContext;
}

/**
 * Reads the credential for the provider of `manifest` (whose label prefixes its error messages);
 * a missing key fails here, before any call.
 */
export function bearerConnection(
  manifest: ProviderManifest,
  defaultBaseUrl: string,
  context: CallContext,
  notFoundField?: string,
): BearerConnection {
  const apiKey = stringValue(context.credentials, 'api_key');
  if (!apiKey) {
    throw new InvalidCredentialsError(`${manifest.label}: an API key is required`, { provider: manifest.id });
  }
  return {
    baseUrl: baseUrl(context.credentials, defaultBaseUrl),
    headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json' },
    proxyUrl: stringValue(context.credentials, 'proxy_url'),
    errorContext: {
      provider: manifest.id,
      label: manifest.label,
      secrets: secretValues(
        [manifest.providerCredentialForm, manifest.modelCredentialForm],
        context.credentials,
      ),
      ...(notFoundField ? { notFoundField } : {}),
    },
  };
}

/** POSTs `body` (sent as JSON) to `path` below the connection's base URL and reads the JSON answer. */
export async function postJson<T>(
  client: HttpClient,
  connection: BearerConnection,
  path: string,
  body: unknown,
  signal: CancelSignal,
): Promise<T> {
  const response = await client.send(
    {
      method: 'POST',
      url: `${connection.baseUrl}${path}`,
      headers: connection.headers,
      body,
      signal,
      proxyUrl: connection.proxyUrl,
    },
    connection.errorContext,
  );
  return response.json<T>();
}
