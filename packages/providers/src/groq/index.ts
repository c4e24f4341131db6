import type { ProviderAdapter } from '@switchboard/provider-spec';
import type { HttpSettings } from '../shared/http.ts';
import { bearerEndpoint, createOpenAIWire, visiblePredefinedModels } from '../openai-compatible/index.ts';
import { GROQ_BASE_URL, groqManifest } from './groq-manifest.ts';

export { groqManifest } from './groq-manifest.ts';

/** Groq: the OpenAI wire at api.groq.com/openai/v1; `x_groq` extras pass through untouched. */
export function createGroqAdapter(settings: HttpSettings = {}): ProviderAdapter {
  const wire = createOpenAIWire({
    manifest: groqManifest,
    settings,
    endpoint: bearerEndpoint(GROQ_BASE_URL),
  });
  return {
    manifest: groqManifest,
    async validateCredentials(context, target) {
      const listed = await wire.validateWithModelList(context, target);
      return { models: visiblePredefinedModels(groqManifest, listed) };
    },
    chat: wire.chat,
    chatStream: wire.chatStream,
    transcribe: wire.transcribe,
  };
}
