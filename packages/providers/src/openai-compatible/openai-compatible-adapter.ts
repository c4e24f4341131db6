import {
  AbortedError,
  BadRequestError,
  type CallContext,
  type ModelInfo,
  ModelNotFoundError,
  type ProviderAdapter,
} from '@switchboard/provider-spec';
import { baseUrl, stringValue } from '../shared/fields.ts';
import type { HttpSettings } from '../shared/http.ts';
import { bearer, bearerEndpoint } from './openai-compatible-auth.ts';
import { openaiCompatibleManifest } from './openai-compatible-manifest.ts';
import { modelInfoFromListing, readModelList, type UpstreamModel } from './openai-compatible-models.ts';
import { createOpenAIWire } from './openai-compatible-wire.ts';

/**
 * Any OpenAI-compatible server. Paths hang off the base URL as typed (`{base_url}/chat/completions`,
 * `{base_url}/rerank`, `{base_url}/models`), the key is optional, and discovery reads `/models`.
 */
export function createOpenAICompatibleAdapter(settings: HttpSettings = {}): ProviderAdapter {
  const wire = createOpenAIWire({
    manifest: openaiCompatibleManifest,
    settings,
    endpoint: bearerEndpoint(''),
  });

  const requireBaseUrl = (context: CallContext) => {
    if (!stringValue(context.credentials, 'base_url')) {
      throw new BadRequestError('OpenAI-compatible API: the API base URL is required', {
        provider: 'openai-compatible',
        field: 'base_url',
      });
    }
  };

  /**
   * LM Studio's `/v1/models` says nothing of type or context; its REST API
   * (`/api/v0/models`) does. Asked only when the list looks like LM Studio's, and
   * any failure there leaves the plain list.
   */
  async function lmStudioDetails(
    context: CallContext,
    listed: UpstreamModel[],
  ): Promise<Map<string, UpstreamModel>> {
    const details = new Map<string, UpstreamModel>();
    if (!listed.some((model) => model.owned_by === 'organization_owner')) return details;
    try {
      const origin = new URL(baseUrl(context.credentials, '')).origin;
      const response = await wire.http.send(
        {
          method: 'GET',
          url: `${origin}/api/v0/models`,
          headers: bearer(context.credentials),
          signal: context.signal,
          proxyUrl: stringValue(context.credentials, 'proxy_url'),
        },
        wire.errorContext(context.credentials),
      );
      for (const model of readModelList(await response.json()) ?? []) details.set(model.id, model);
    } catch (error) {
      if (error instanceof AbortedError) throw error;
    }
    return details;
  }

  async function discover(context: CallContext): Promise<ModelInfo[]> {
    requireBaseUrl(context);
    const listed = await wire.listModels(context);
    const details = await lmStudioDetails(context, listed);
    return listed.map((model) => modelInfoFromListing({ ...model, ...details.get(model.id) }));
  }

  return {
    manifest: openaiCompatibleManifest,
    async validateCredentials(context, target) {
      requireBaseUrl(context);
      let listed: UpstreamModel[] | undefined;
      try {
        listed = await wire.listModels(context);
      } catch (error) {
        // Some servers have no /models; a custom model can still be proven by calling it.
        if (!(target && error instanceof ModelNotFoundError)) throw error;
      }
      // LM Studio with one model loaded answers any name, and llama.cpp lists its file path:
      // a name missing from the list is settled by a real call to it.
      if (target && !listed?.some((model) => model.id === target.model))
        await wire.probeModel(target, context);
      return listed ? { models: listed.map(modelInfoFromListing) } : {};
    },
    discoverModels: discover,
    chat: wire.chat,
    chatStream: wire.chatStream,
    embed: wire.embed,
    rerank: wire.rerank,
    transcribe: wire.transcribe,
    speak: wire.speak,
  };
}
