import type { ProviderAdapter } from '@switchboard/provider-spec';
import type { HttpSettings } from '../shared/http.ts';
import { bearerEndpoint, createOpenAIWire, visiblePredefinedModels } from '../openai-compatible/index.ts';
import { DEEPSEEK_BASE_URL, deepseekManifest } from './deepseek-manifest.ts';

export { deepseekManifest } from './deepseek-manifest.ts';

/** The canonical chat body as DeepSeek reads it: it knows `max_tokens`, not `max_completion_tokens`. */
export function deepseekChatBody(body: Record<string, unknown>): Record<string, unknown> {
  if (body.max_completion_tokens === undefined) return body;
  const { max_completion_tokens, ...rest } = body;
  return { ...rest, max_tokens: rest.max_tokens ?? max_completion_tokens };
}

/** DeepSeek: the OpenAI wire at api.deepseek.com; `reasoning_content` passes through untouched. */
export function createDeepSeekAdapter(settings: HttpSettings = {}): ProviderAdapter {
  const wire = createOpenAIWire({
    manifest: deepseekManifest,
    settings,
    endpoint: bearerEndpoint(DEEPSEEK_BASE_URL),
    chatBody: deepseekChatBody,
  });
  return {
    manifest: deepseekManifest,
    async validateCredentials(context, target) {
      const listed = await wire.validateWithModelList(context, target);
      return { models: visiblePredefinedModels(deepseekManifest, listed) };
    },
    chat: wire.chat,
    chatStream: wire.chatStream,
  };
}
