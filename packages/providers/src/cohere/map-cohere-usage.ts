import type { Usage } from '@switchboard/provider-spec';

/** Cohere's usage block, as it appears on chat answers and `message-end`. */
export interface CohereUsage {
  billed_units?: { input_tokens?: number; output_tokens?: number };
  tokens?: { input_tokens?: number; output_tokens?: number };
  cached_tokens?: number;
}

/**
 * OpenAI usage from Cohere's. Billed units come first: they are what Cohere charges
 * for (the `tokens` counts include Cohere's own prompt template), so usage summaries
 * match the invoice; `tokens` fills in when billing counts are absent.
 */
export function mapCohereUsage(usage: CohereUsage | undefined): Usage | undefined {
  if (!usage) return undefined;
  const input = usage.billed_units?.input_tokens ?? usage.tokens?.input_tokens;
  const output = usage.billed_units?.output_tokens ?? usage.tokens?.output_tokens;
  if (input === undefined && output === undefined) return undefined;
  const prompt = input ?? 0;
  const completion = output ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    ...(usage.cached_tokens ? { prompt_tokens_details: { cached_tokens: usage.cached_tokens } } : {}),
  };
}
