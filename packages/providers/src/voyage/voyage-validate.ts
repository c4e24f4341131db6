import type { CallContext, ValidationResult, ValidationTarget } from '@switchboard/provider-spec';
import type { HttpClient } from '../shared/http.ts';
import { voyageEmbed } from './voyage-embed.ts';
import { voyageRerank } from './voyage-rerank.ts';

/** The model a plain credential check embeds with: Voyage's cheapest current one. */
export const VOYAGE_VALIDATION_MODEL = 'voyage-3.5-lite';

/**
 * Proves the key with the smallest real call. Voyage has no model-list endpoint, so this
 * embeds one word with its cheapest model (a token or two, billed at $0.02 per million). A
 * custom model is checked by calling it: one word embedded, or one document reranked.
 */
export async function voyageValidate(
  client: HttpClient,
  context: CallContext,
  target?: ValidationTarget,
): Promise<ValidationResult> {
  if (target?.type === 'rerank') {
    await voyageRerank(
      client,
      { model: target.model, query: 'ping', documents: ['ping'], top_n: 1 },
      context,
      'model',
    );
  } else {
    const model = target?.model ?? VOYAGE_VALIDATION_MODEL;
    await voyageEmbed(client, { model, input: ['ping'] }, context, target ? 'model' : 'base_url');
  }
  return {};
}
