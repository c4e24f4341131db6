import type { ProviderAdapter } from '@switchboard/provider-spec';
import type { HttpSettings } from '../shared/http.ts';
import { bearerEndpoint, createOpenAIWire, visiblePredefinedModels } from '../openai-compatible/index.ts';
import { MISTRAL_BASE_URL, mistralManifest } from './mistral-manifest.ts';
import { mistralChatBody, mistralChunkRepair, mistralCompletionRepair } from './mistral-translation.ts';
import { mistralChatParameters } from './mistral-parameters.ts';

export { mistralManifest } from './mistral-manifest.ts';

/** Mistral AI: the OpenAI wire, with its field names and tool-call stream repaired. */
export function createMistralAdapter(settings: HttpSettings = {}): ProviderAdapter {
  const wire = createOpenAIWire({
    manifest: mistralManifest,
    settings,
    endpoint: bearerEndpoint(MISTRAL_BASE_URL),
    chatBody: mistralChatBody,
    chunkRepair: mistralChunkRepair,
    completionRepair: mistralCompletionRepair,
  });
  return {
    manifest: mistralManifest,
    chatParameters: mistralChatParameters,
    async validateCredentials(context, target) {
      const listed = await wire.validateWithModelList(context, target);
      return { models: visiblePredefinedModels(mistralManifest, listed) };
    },
    chat: wire.chat,
    chatStream: wire.chatStream,
    embed: wire.embed,
    transcribe: wire.transcribe,
  };
}
