import {
  type CallContext,
  type CredentialValues,
  InvalidCredentialsError,
  type ModelFeature,
  type ModelInfo,
  type NativeApi,
  type ProviderAdapter,
  UnsupportedError,
  type ValidationTarget,
} from '@switchboard/provider-spec';
import { baseUrl, stringValue } from '../shared/fields.ts';
import { createHttpClient, type HttpRequest, type HttpSettings } from '../shared/http.ts';
import { secretValues } from '../shared/redact.ts';
import { RelayedResponse } from '../shared/relayed-response.ts';
import type { ErrorContext } from '../shared/upstream-errors.ts';
import { type AnthropicResponse, toChatCompletion } from './anthropic-chat.ts';
import { readAnthropicErrorBody, refineAnthropicError, streamEventError } from './anthropic-errors.ts';
import { ANTHROPIC_DEFAULT_BASE_URL, ANTHROPIC_VERSION, anthropicManifest } from './anthropic-manifest.ts';
import { JSON_TOOL, toAnthropicRequest, wantsJsonTool } from './anthropic-request.ts';
import { translateAnthropicStream } from './anthropic-stream.ts';
import { anthropicChatParameters } from './anthropic-parameters.ts';

export { anthropicManifest } from './anthropic-manifest.ts';

/** One entry of `GET /v1/models`. */
interface AnthropicModelEntry {
  id: string;
  display_name?: string;
  max_input_tokens?: number | null;
  max_tokens?: number | null;
  capabilities?: { image_input?: { supported?: boolean }; thinking?: { supported?: boolean } } | null;
}

/** The client headers a relayed Messages API call passes on. */
const RELAYED_HEADERS = ['anthropic-version', 'anthropic-beta'] as const;

/**
 * The headers of a request to Anthropic: its API version (the client's when it sent one), the
 * client's beta flags, JSON, and the key.
 */
function requestHeaders(apiKey: string, clientHeaders: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = {
    'anthropic-version': ANTHROPIC_VERSION,
    'content-type': 'application/json',
  };
  for (const name of RELAYED_HEADERS) {
    const value = clientHeaders[name];
    if (value) headers[name] = value;
  }
  headers['x-api-key'] = apiKey;
  return headers;
}

/** A relayed stream's `event: error` midway, mapped as the translated stream maps it. */
const relayedStreamError = (event: Record<string, unknown>, context: ErrorContext) =>
  event.type === 'error' ? streamEventError(event, context) : undefined;

/** Where each relayed API's requests go. */
const RELAYED_PATHS: Partial<Record<NativeApi, string>> = {
  'anthropic-messages': '/v1/messages',
  'anthropic-count-tokens': '/v1/messages/count_tokens',
};

const FORMS = [anthropicManifest.providerCredentialForm, anthropicManifest.modelCredentialForm];

function toModelInfo(entry: AnthropicModelEntry): ModelInfo {
  const known = anthropicManifest.models.find((model) => model.id === entry.id);
  const features: ModelFeature[] = ['tool-call', 'streaming'];
  if (entry.capabilities?.image_input?.supported) features.push('vision');
  if (entry.capabilities?.thinking?.supported) features.push('reasoning');
  return {
    id: entry.id,
    type: 'llm',
    ...(entry.display_name ? { label: entry.display_name } : {}),
    ...(entry.max_input_tokens ? { contextSize: entry.max_input_tokens } : {}),
    ...(entry.max_tokens ? { maxOutputTokens: entry.max_tokens } : {}),
    features: known?.features ?? features,
    ...(known?.pricing ? { pricing: known.pricing } : {}),
  };
}

/** The Anthropic adapter: Messages API chat (streaming included) and key validation. */
export function createAnthropicAdapter(settings: HttpSettings = {}): ProviderAdapter {
  const client = createHttpClient(settings, readAnthropicErrorBody);

  // The gateway calls with the same credential objects again and again (its resolve cache holds
  // them until they change), so what a call derives from them is kept per object, as the OpenAI
  // wire does: the error context (secrets to redact), the base URL and the request headers.
  interface Derived {
    errors: ErrorContext;
    baseUrl: string;
    apiKey: string | undefined;
    proxyUrl: string | undefined;
    headers: Record<string, string>;
    /** The headers with a client's protocol headers (relayed calls), by their values. */
    withClient: Map<string, Record<string, string>>;
  }
  const derivedByCredentials = new WeakMap<CredentialValues, Derived>();
  function derived(credentials: CredentialValues): Derived {
    let entry = derivedByCredentials.get(credentials);
    if (!entry) {
      const apiKey = stringValue(credentials, 'api_key');
      entry = {
        errors: { provider: 'anthropic', label: 'Anthropic', secrets: secretValues(FORMS, credentials) },
        baseUrl: baseUrl(credentials, ANTHROPIC_DEFAULT_BASE_URL),
        apiKey,
        proxyUrl: stringValue(credentials, 'proxy_url'),
        headers: requestHeaders(apiKey ?? '', {}),
        withClient: new Map(),
      };
      derivedByCredentials.set(credentials, entry);
    }
    return entry;
  }

  /** The request headers with the client's protocol headers, kept per distinct set (a few at most). */
  function headersWith(entry: Derived, clientHeaders: Record<string, string>): Record<string, string> {
    const key = RELAYED_HEADERS.map((name) => clientHeaders[name] ?? '').join('\u0000');
    let headers = entry.withClient.get(key);
    if (!headers) {
      // The values come from clients: a flood of distinct ones must not grow the map forever.
      if (entry.withClient.size >= 32) entry.withClient.clear();
      headers = requestHeaders(entry.apiKey ?? '', clientHeaders);
      entry.withClient.set(key, headers);
    }
    return headers;
  }

  const send = async (
    context: CallContext,
    request: Omit<HttpRequest, 'url' | 'headers' | 'signal'> & { path: string },
    notFoundField?: string,
    clientHeaders?: Record<string, string>,
  ) => {
    const entry = derived(context.credentials);
    const errorContext = notFoundField ? { ...entry.errors, notFoundField } : entry.errors;
    if (!entry.apiKey)
      throw new InvalidCredentialsError('Anthropic: no API key is set', { provider: 'anthropic' });
    try {
      const response = await client.send(
        {
          method: request.method,
          url: `${entry.baseUrl}${request.path}`,
          headers: clientHeaders ? headersWith(entry, clientHeaders) : entry.headers,
          body: request.body,
          signal: context.signal,
          proxyUrl: entry.proxyUrl,
        },
        errorContext,
      );
      return { response, errorContext };
    } catch (error) {
      throw refineAnthropicError(error);
    }
  };

  return {
    manifest: anthropicManifest,
    chatParameters: anthropicChatParameters,

    async validateCredentials(context, target?: ValidationTarget) {
      if (target) {
        const { response } = await send(context, {
          method: 'GET',
          path: `/v1/models/${encodeURIComponent(target.model)}`,
        });
        return { models: [toModelInfo(await response.json<AnthropicModelEntry>())] };
      }
      const { response } = await send(context, { method: 'GET', path: '/v1/models?limit=1000' }, 'base_url');
      const page = await response.json<{ data?: AnthropicModelEntry[] }>();
      return { models: (page.data ?? []).map(toModelInfo) };
    },

    // count_tokens too: Anthropic counts a prompt exactly, where the gateway could only estimate.
    nativeApis: ['anthropic-messages', 'anthropic-count-tokens'],

    async relay(request, context) {
      const path = RELAYED_PATHS[request.api];
      if (!path)
        throw new UnsupportedError(`Anthropic: cannot relay ${request.api}`, { provider: 'anthropic' });
      // Only the protocol headers are taken from the client's (headersWith): its own key and
      // hop-by-hop headers stay behind.
      const { response, errorContext } = await send(
        context,
        { method: 'POST', path, body: request.body },
        undefined,
        request.headers,
      );
      return new RelayedResponse(response, relayedStreamError, errorContext);
    },

    async chat(request, context) {
      const { response } = await send(context, {
        method: 'POST',
        path: '/v1/messages',
        body: toAnthropicRequest(request, false),
      });
      const completion = toChatCompletion(
        await response.json<AnthropicResponse>(),
        Math.floor(Date.now() / 1000),
        wantsJsonTool(request) ? JSON_TOOL : undefined,
      );
      return { completion, ...(completion.usage ? { usage: completion.usage } : {}) };
    },

    async chatStream(request, context) {
      const { response, errorContext } = await send(context, {
        method: 'POST',
        path: '/v1/messages',
        body: toAnthropicRequest(request, true),
      });
      return translateAnthropicStream(response.body, {
        includeUsage: request.stream_options?.include_usage === true,
        created: Math.floor(Date.now() / 1000),
        model: request.model,
        context: errorContext,
        ...(wantsJsonTool(request) ? { jsonTool: JSON_TOOL } : {}),
      });
    },
  };
}
