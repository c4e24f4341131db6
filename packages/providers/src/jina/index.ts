import type { ProviderAdapter } from '@switchboard/provider-spec';
import type { HttpSettings } from '../shared/http.ts';
import { jinaEmbed } from './jina-embed.ts';
import { createJinaHttpClient } from './jina-errors.ts';
import { jinaManifest } from './jina-manifest.ts';
import { jinaRerank } from './jina-rerank.ts';
import { jinaValidate } from './jina-validate.ts';

export { jinaManifest } from './jina-manifest.ts';

/** The Jina AI adapter: embeddings and rerank. */
export function createJinaAdapter(settings: HttpSettings = {}): ProviderAdapter {
  const client = createJinaHttpClient(settings);
  return {
    manifest: jinaManifest,
    validateCredentials: (context, target) => jinaValidate(client, context, target),
    embed: (request, context) => jinaEmbed(client, request, context),
    rerank: (request, context) => jinaRerank(client, request, context),
  };
}
