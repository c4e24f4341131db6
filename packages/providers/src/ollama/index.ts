import type { ProviderAdapter } from '@switchboard/provider-spec';
import { createHttpClient, type HttpSettings } from '../shared/http.ts';
import { fromOllamaChatResponse } from './ollama-chat.ts';
import { toOllamaChatRequest } from './ollama-chat-request.ts';
import { ollamaConnection } from './ollama-connection.ts';
import { discoverOllamaModels } from './ollama-discovery.ts';
import { fromOllamaEmbedResponse, toOllamaEmbedRequest } from './ollama-embed.ts';
import { readOllamaErrorBody } from './ollama-errors.ts';
import { ollamaManifest } from './ollama-manifest.ts';
import { translateOllamaStream } from './ollama-stream.ts';
import type { OllamaChatResponse, OllamaEmbedResponse } from './ollama-wire.ts';
import { validateOllama } from './ollama-validate.ts';
import { ollamaChatParameters } from './ollama-parameters.ts';

export { ollamaManifest } from './ollama-manifest.ts';

/** The Ollama adapter: native `/api/chat` (NDJSON streams), `/api/embed`, discovery from `/api/tags` + `/api/show`. */
export function createOllamaAdapter(settings: HttpSettings = {}): ProviderAdapter {
  const http = createHttpClient(settings, readOllamaErrorBody);
  return {
    manifest: ollamaManifest,
    chatParameters: ollamaChatParameters,

    validateCredentials(context, target) {
      return validateOllama(ollamaConnection(http, context), target);
    },

    discoverModels(context) {
      return discoverOllamaModels(ollamaConnection(http, context));
    },

    async chat(request, context) {
      const body = toOllamaChatRequest(request, false);
      const response = await ollamaConnection(http, context).send('POST', '/api/chat', body);
      const completion = fromOllamaChatResponse(
        await response.json<OllamaChatResponse>(),
        request.model,
        request.parallel_tool_calls === false,
      );
      return completion.usage ? { completion, usage: completion.usage } : { completion };
    },

    async chatStream(request, context) {
      const body = toOllamaChatRequest(request, true);
      const connection = ollamaConnection(http, context);
      const response = await connection.send('POST', '/api/chat', body);
      return translateOllamaStream(response.body, {
        requestedModel: request.model,
        includeUsage: request.stream_options?.include_usage === true,
        errorContext: connection.errorContext,
        singleToolCall: request.parallel_tool_calls === false,
      });
    },

    async embed(request, context) {
      const body = toOllamaEmbedRequest(request);
      const response = await ollamaConnection(http, context).send('POST', '/api/embed', body);
      return fromOllamaEmbedResponse(await response.json<OllamaEmbedResponse>(), request);
    },
  };
}
