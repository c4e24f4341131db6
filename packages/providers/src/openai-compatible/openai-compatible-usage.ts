import type { Usage } from '@switchboard/provider-spec';

const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/** Canonical usage from an OpenAI-family usage object, dropping provider extras (timings, costs). */
export function readUsage(raw: unknown): Usage | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const usage = raw as Record<string, unknown>;
  const prompt = count(usage.prompt_tokens);
  const completion = count(usage.completion_tokens);
  const result: Usage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: typeof usage.total_tokens === 'number' ? usage.total_tokens : prompt + completion,
  };
  const promptDetails = usage.prompt_tokens_details as Record<string, unknown> | null | undefined;
  if (typeof promptDetails?.cached_tokens === 'number') {
    result.prompt_tokens_details = { cached_tokens: promptDetails.cached_tokens };
  }
  const completionDetails = usage.completion_tokens_details as Record<string, unknown> | null | undefined;
  if (typeof completionDetails?.reasoning_tokens === 'number') {
    result.completion_tokens_details = { reasoning_tokens: completionDetails.reasoning_tokens };
  }
  return result;
}
