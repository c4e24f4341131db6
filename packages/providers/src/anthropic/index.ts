import {
  type CallContext,
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

  const send = async (
    context: CallContext,
    request: Omit<HttpRequest, 'url' | 'headers' | 'signal'> & { path: string },
    notFoundField?: string,
    clientHeaders?: Record<string, string>,
  ) => {
    const { credentials } = context;
    const errorContext: ErrorContext = {
      provider: 'anthropic',
      label: 'Anthropic',
      secrets: secretValues(FORMS, credentials),
      ...(notFoundField ? { notFoundField } : {}),
    };
    const apiKey = stringValue(credentials, 'api_key');
    if (!apiKey) throw new InvalidCredentialsError('Anthropic: no API key is set', { provider: 'anthropic' });
    const headers: Record<string, string> = {
      'anthropic-version': ANTHROPIC_VERSION,
      ...clientHeaders,
      'x-api-key': apiKey,
    };
    try {
      const response = await client.send(
        {
          method: request.method,
          url: `${baseUrl(credentials, ANTHROPIC_DEFAULT_BASE_URL)}${request.path}`,
          headers,
          body: request.body,
          signal: context.signal,
          proxyUrl: stringValue(credentials, 'proxy_url'),
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
      const headers: Record<string, string> = {};
      // Only the protocol headers: the client's own key and hop-by-hop headers stay behind.
      for (const name of RELAYED_HEADERS) {
        const value = request.headers[name];
        if (value) headers[name] = value;
      }
      const { response, errorContext } = await send(
        context,
        { method: 'POST', path, body: request.body },
        undefined,
        headers,
      );
      const type = response.headers['content-type'];
      return {
        contentType: (Array.isArray(type) ? type[0] : type) ?? 'application/json',
        body: response.body,
        bytes: () => response.bytes(),
        // `event: error` midway, mapped as the translated stream maps it.
        streamError: (event) => (event.type === 'error' ? streamEventError(event, errorContext) : undefined),
      };
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
