import { InvalidCredentialsError, type ProviderAdapter } from '@switchboard/provider-spec';
import { stringValue } from '../shared/fields.ts';
import type { HttpSettings } from '../shared/http.ts';
import { bearerEndpoint } from './openai-auth.ts';
import { OPENAI_BASE_URL, openaiManifest } from './openai-manifest.ts';
import { visiblePredefinedModels } from './openai-models.ts';
import { createOpenAIWire, withField } from './openai-wire.ts';

export { bearer, bearerEndpoint, OPERATION_PATHS } from './openai-auth.ts';
export { readOpenAIErrorBody } from './openai-errors.ts';
export {
  guessModelType,
  modelInfoFromListing,
  readModelList,
  type UpstreamModel,
  visiblePredefinedModels,
} from './openai-models.ts';
export { multipartBody } from './openai-multipart.ts';
export { type ChunkRepair, passThroughSse } from './openai-stream.ts';
export { readUsage } from './openai-usage.ts';
export {
  createOpenAIWire,
  type OpenAIWire,
  type OpenAIWireOptions,
  silentWav,
  type WireEndpoint,
  type WireOperation,
  withField,
} from './openai-wire.ts';
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
    chat: wire.chat,
    chatStream: wire.chatStream,
    embed: wire.embed,
    transcribe: wire.transcribe,
    speak: wire.speak,
  };
}
