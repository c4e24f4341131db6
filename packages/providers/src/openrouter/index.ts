import type { CallContext, CredentialValues, ProviderAdapter } from '@switchboard/provider-spec';
import { baseUrl, stringValue } from '../shared/fields.ts';
import type { HttpSettings } from '../shared/http.ts';
import { bearerEndpoint, createOpenAIWire, visiblePredefinedModels } from '../openai-compatible/index.ts';
import { OPENROUTER_BASE_URL, openrouterManifest } from './openrouter-manifest.ts';

export { openrouterManifest } from './openrouter-manifest.ts';

/** OpenRouter's optional app attribution headers. */
export function openrouterHeaders(credentials: CredentialValues): Record<string, string> {
  const headers: Record<string, string> = {};
  const site = stringValue(credentials, 'site_url');
  const name = stringValue(credentials, 'app_name');
  if (site) headers['http-referer'] = site;
  if (name) headers['x-title'] = name;
  return headers;
}

/**
 * OpenRouter: the OpenAI wire with attribution headers. Its `/models` is public, so the
 * key is proven with `GET /key`; a mid-stream `error` event becomes a ProviderError.
 */
export function createOpenRouterAdapter(settings: HttpSettings = {}): ProviderAdapter {
  const endpoint = bearerEndpoint(OPENROUTER_BASE_URL, openrouterHeaders);
  const wire = createOpenAIWire({ manifest: openrouterManifest, settings, endpoint });

  async function checkKey(context: CallContext): Promise<void> {
    const url = `${baseUrl(context.credentials, OPENROUTER_BASE_URL)}/key`;
    const response = await wire.http.send(
      {
        method: 'GET',
        url,
        headers: endpoint('models', context.credentials).headers,
        signal: context.signal,
        proxyUrl: stringValue(context.credentials, 'proxy_url'),
      },
      wire.errorContext(context.credentials, 'base_url'),
    );
    await response.json();
  }

  return {
    manifest: openrouterManifest,
    async validateCredentials(context, target) {
      await checkKey(context);
      // The public list is long and proves nothing about the key: read it only for a custom model.
      if (!target) return {};
      const listed = await wire.validateWithModelList(context, target);
      return { models: visiblePredefinedModels(openrouterManifest, listed) };
    },
    chat: wire.chat,
    chatStream: wire.chatStream,
  };
}
