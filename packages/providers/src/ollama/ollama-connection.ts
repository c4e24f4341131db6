import type { CallContext } from '@switchboard/provider-spec';
import { baseUrl, stringValue } from '../shared/fields.ts';
import type { HttpClient, HttpRequest, HttpResponse } from '../shared/http.ts';
import { secretValues } from '../shared/redact.ts';
import type { ErrorContext } from '../shared/upstream-errors.ts';
import { OLLAMA_DEFAULT_BASE_URL, ollamaManifest } from './ollama-manifest.ts';

/** One call's way to the Ollama server, read from the credential values. */
export interface OllamaConnection {
  /** Sends `method path` to the credential's server; errors are Ollama's ProviderErrors. */
  send(
    method: HttpRequest['method'],
    path: string,
    body?: unknown,
    notFoundField?: string,
  ): Promise<HttpResponse>;
  /** Labels and secrets for errors raised outside `send` (stream lines, malformed bodies). */
  errorContext: ErrorContext;
}

/** Binds the HTTP client to one call's credentials and abort signal. */
export function ollamaConnection(http: HttpClient, context: CallContext): OllamaConnection {
  const { credentials, signal } = context;
  const root = baseUrl(credentials, OLLAMA_DEFAULT_BASE_URL);
  const apiKey = stringValue(credentials, 'api_key');
  const proxyUrl = stringValue(credentials, 'proxy_url');
  const headers: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  const errorContext: ErrorContext = {
    provider: 'ollama',
    label: 'Ollama',
    secrets: secretValues(
      [ollamaManifest.providerCredentialForm, ollamaManifest.modelCredentialForm],
      credentials,
    ),
  };
  return {
    errorContext,
    send(method, path, body, notFoundField) {
      const context = notFoundField ? { ...errorContext, notFoundField } : errorContext;
      return http.send({ method, url: `${root}${path}`, headers, body, signal, proxyUrl }, context);
    },
  };
}
