import type { ProviderAdapter } from '@switchboard/provider-spec';
import type { HttpSettings } from '../shared/http.ts';
import { cohereChat } from './cohere-chat.ts';
import { cohereChatStream } from './cohere-chat-stream.ts';
import { cohereEmbed } from './cohere-embed.ts';
import { createCohereHttpClient } from './cohere-errors.ts';
import { cohereManifest } from './cohere-manifest.ts';
import { cohereRerank } from './cohere-rerank.ts';
import { cohereValidate } from './cohere-validate.ts';
import { cohereChatParameters } from './cohere-parameters.ts';

export { cohereManifest } from './cohere-manifest.ts';
export { translateCohereStream } from './cohere-chat-stream.ts';

/** The Cohere adapter: chat v2 (streaming included), embed v2 and rerank v2. */
export function createCohereAdapter(settings: HttpSettings = {}): ProviderAdapter {
  const client = createCohereHttpClient(settings);
  return {
    manifest: cohereManifest,
    chatParameters: cohereChatParameters,
    validateCredentials: (context, target) => cohereValidate(client, context, target),
    chat: (request, context) => cohereChat(client, request, context),
    chatStream: (request, context) => cohereChatStream(client, request, context),
    embed: (request, context) => cohereEmbed(client, request, context),
    rerank: (request, context) => cohereRerank(client, request, context),
  };
}
