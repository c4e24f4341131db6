import type { CallContext, ValidationResult, ValidationTarget } from '@switchboard/provider-spec';
import type { HttpClient } from '../shared/http.ts';
import { jinaEmbed } from './jina-embed.ts';
import { jinaRerank } from './jina-rerank.ts';

/** The model a plain credential check embeds with: Jina's default, on every account. */
export const JINA_VALIDATION_MODEL = 'jina-embeddings-v3';

/**
 * Proves the key with the smallest real call. Jina has no cheap authenticated list call
 * (`GET /v1/models` needs no key, so it proves nothing), so this embeds one word: a few
 * tokens of the account's balance. A custom model is checked by calling it: one word
 * embedded, or one document reranked.
 */
export async function jinaValidate(
  client: HttpClient,
  context: CallContext,
  target?: ValidationTarget,
): Promise<ValidationResult> {
  if (target?.type === 'rerank') {
    await jinaRerank(
      client,
      { model: target.model, query: 'ping', documents: ['ping'], top_n: 1 },
      context,
      'model',
    );
  } else {
    const model = target?.model ?? JINA_VALIDATION_MODEL;
    await jinaEmbed(client, { model, input: ['ping'] }, context, target ? 'model' : 'base_url');
  }
  return {};
}
