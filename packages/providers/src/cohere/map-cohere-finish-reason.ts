import { type ProviderError, TimeoutError, UpstreamUnavailableError } from '../spec/errors.ts';
import type { FinishReason, Usage } from '../spec/canonical.ts';

/** Cohere's `finish_reason` (`COMPLETE`, `MAX_TOKENS`...) as OpenAI's. */
export function mapCohereFinishReason(reason: string | undefined | null): FinishReason | null {
  switch (reason) {
    case 'COMPLETE':
    case 'STOP_SEQUENCE':
      return 'stop';
    case 'MAX_TOKENS':
      return 'length';
    case 'TOOL_CALL':
      return 'tool_calls';
    case undefined:
    case null:
      return null;
    default:
      return 'stop';
  }
}

/** The error a generation that ended in `ERROR` or `TIMEOUT` stands for; undefined when it finished. */
export function cohereFinishError(
  reason: string | undefined | null,
  detail: string | undefined,
): ProviderError | undefined {
  if (reason === 'ERROR') {
    return new UpstreamUnavailableError(`Cohere: the generation failed${detail ? ` (${detail})` : ''}`, {
      provider: 'cohere',
      ...(detail ? { upstreamMessage: detail } : {}),
    });
  }
  if (reason === 'TIMEOUT')
    return new TimeoutError('Cohere: the generation timed out upstream', { provider: 'cohere' });
  return undefined;
}

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
