// OpenAI's reasoning_effort for providers that take a thinking budget in tokens (Anthropic's
// extended thinking, Gemini's thinkingConfig). The table is decision 0030's.

/** Every reasoning_effort value OpenAI accepts, in increasing order. */
export const REASONING_EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max'] as const;

/** One of OpenAI's reasoning_effort values. */
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];

/**
 * Thinking budget in tokens for each effort that thinks. 1024 is Anthropic's smallest budget;
 * 24,576 is the largest every Gemini 2.5 model accepts, so `max` stops there too.
 */
export const THINKING_BUDGETS: Readonly<Record<Exclude<ReasoningEffort, 'none'>, number>> = {
  minimal: 1024,
  low: 2048,
  medium: 8192,
  high: 16_384,
  xhigh: 24_576,
  max: 24_576,
};

/**
 * The thinking budget a request's reasoning_effort asks for: a number of tokens, 0 for 'none'
 * (no thinking), or undefined when the request sets no effort. The gateway has already refused
 * any other value (the adapters declare the list above).
 */
export function thinkingBudget(effort: unknown): number | undefined {
  if (effort === 'none') return 0;
  if (typeof effort !== 'string' || !Object.hasOwn(THINKING_BUDGETS, effort)) return undefined;
  return THINKING_BUDGETS[effort as Exclude<ReasoningEffort, 'none'>];
}
