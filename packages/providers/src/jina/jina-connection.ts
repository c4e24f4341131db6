import { baseUrl, stringValue } from '../shared/fields.ts';
import { secretValues } from '../shared/redact.ts';
import type { ErrorContext } from '../shared/upstream-errors.ts';
import type { CallContext } from '../spec/adapter.ts';
import { InvalidCredentialsError } from '../spec/errors.ts';
import { JINA_DEFAULT_BASE_URL, jinaManifest } from './jina-manifest.ts';

/** Where and how one call reaches Jina, read from the credential. */
export interface JinaConnection {
  /** Base URL without a trailing slash (`https://api.jina.ai/v1`). */
  baseUrl: string;
  headers: Record<string, string>;
  proxyUrl: string | undefined;
  errorContext: ErrorContext;
}

/** Reads the credential; a missing key fails here, before any call. */
export function jinaConnection(context: CallContext, notFoundField?: string): JinaConnection {
  const apiKey = stringValue(context.credentials, 'api_key');
  if (!apiKey) throw new InvalidCredentialsError('Jina AI: an API key is required', { provider: 'jina' });
  return {
    baseUrl: baseUrl(context.credentials, JINA_DEFAULT_BASE_URL),
    headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json' },
    proxyUrl: stringValue(context.credentials, 'proxy_url'),
    errorContext: {
      provider: 'jina',
      label: 'Jina AI',
      secrets: secretValues(
        [jinaManifest.providerCredentialForm, jinaManifest.modelCredentialForm],
        context.credentials,
      ),
      ...(notFoundField ? { notFoundField } : {}),
    },
  };
}
