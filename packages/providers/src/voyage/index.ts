import type { ProviderAdapter } from '@switchboard/provider-spec';
import type { HttpSettings } from '../shared/http.ts';
import { voyageEmbed } from './voyage-embed.ts';
import { createVoyageHttpClient } from './voyage-errors.ts';
import { voyageManifest } from './voyage-manifest.ts';
import { voyageRerank } from './voyage-rerank.ts';
import { voyageValidate } from './voyage-validate.ts';

export { voyageManifest } from './voyage-manifest.ts';

/** The Voyage AI adapter: embeddings and rerank. */
export function createVoyageAdapter(settings: HttpSettings = {}): ProviderAdapter {
  const client = createVoyageHttpClient(settings);
  return {
    manifest: voyageManifest,
    validateCredentials: (context, target) => voyageValidate(client, context, target),
    embed: (request, context) => voyageEmbed(client, request, context),
    rerank: (request, context) => voyageRerank(client, request, context),
  };
}
