import { InvalidCredentialsError, type ProviderAdapter } from '@switchboard/provider-spec';
import { stringValue } from '../shared/fields.ts';
import type { HttpSettings } from '../shared/http.ts';
import {
  bearerEndpoint,
  createOpenAIWire,
  visiblePredefinedModels,
  withField,
} from '../openai-compatible/index.ts';
import { OPENAI_BASE_URL, openaiManifest } from './openai-manifest.ts';

export { openaiManifest } from './openai-manifest.ts';

/** OpenAI: Bearer key, with `OpenAI-Organization` / `OpenAI-Project` when those fields are set. */
export function createOpenAIAdapter(settings: HttpSettings = {}): ProviderAdapter {
  const wire = createOpenAIWire({
    manifest: openaiManifest,
    settings,
    probeLimitField: 'max_completion_tokens',
    endpoint: bearerEndpoint(OPENAI_BASE_URL, (credentials) => {
      const headers: Record<string, string> = {};
      const organization = stringValue(credentials, 'organization_id');
      const project = stringValue(credentials, 'project_id');
      if (organization) headers['openai-organization'] = organization;
      if (project) headers['openai-project'] = project;
      return headers;
    }),
  });
  return {
    manifest: openaiManifest,
    async validateCredentials(context, target) {
      try {
        const listed = await wire.validateWithModelList(context, target);
        return { models: visiblePredefinedModels(openaiManifest, listed) };
      } catch (error) {
        // A key from another organization is rejected with a 401 naming the organization header.
        if (error instanceof InvalidCredentialsError && /organization/i.test(error.upstreamMessage ?? '')) {
          throw withField(error, 'organization_id');
        }
        throw error;
      }
    },
    // The Responses API is OpenAI's own: /v1/responses passes through.
    nativeApis: ['openai-responses'],
    relay: wire.relay,
    chat: wire.chat,
    chatStream: wire.chatStream,
    embed: wire.embed,
    transcribe: wire.transcribe,
    speak: wire.speak,
  };
}
