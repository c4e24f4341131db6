import {
  BadRequestError,
  type ChatMessage,
  type ChatRequest,
  UnsupportedError,
} from '@switchboard/provider-spec';
import { thinkingBudget } from '../shared/reasoning-budget.ts';

// reasoning_effort as Anthropic's extended thinking (decision 0030): a budget from the shared
// table, fitted under max_tokens, refused beside the settings thinking cannot take.

/** A thinking block of an assistant turn, as Anthropic returns it and wants it replayed. */
export type AnthropicThinkingBlock =
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string };

/** Anthropic's smallest thinking budget. */
const MIN_BUDGET = 1024;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const refuse = (field: string, message: string) =>
  new UnsupportedError(`Anthropic: ${message}`, { provider: 'anthropic', field });

/**
 * The thinking blocks a client sent back on an assistant message (`thinking_blocks`, which the
 * chat answers carry beside `reasoning_content`), checked, in order.
 */
export function replayedThinking(message: ChatMessage): AnthropicThinkingBlock[] {
  const blocks = (message as { thinking_blocks?: unknown }).thinking_blocks;
  if (blocks === undefined || blocks === null || message.role !== 'assistant') return [];
  const invalid = () =>
    new BadRequestError(
      'Anthropic: thinking_blocks must be the blocks an answer returned ({type: "thinking", thinking, signature} or {type: "redacted_thinking", data})',
      { provider: 'anthropic', field: 'messages' },
    );
  if (!Array.isArray(blocks)) throw invalid();
  return blocks.map((block): AnthropicThinkingBlock => {
    if (!isObject(block)) throw invalid();
    if (
      block.type === 'thinking' &&
      typeof block.thinking === 'string' &&
      typeof block.signature === 'string'
    )
      return { type: 'thinking', thinking: block.thinking, signature: block.signature };
    if (block.type === 'redacted_thinking' && typeof block.data === 'string')
      return { type: 'redacted_thinking', data: block.data };
    throw invalid();
  });
}

/**
 * Whether the request continues a tool turn whose thinking the client did not send back: the last
 * assistant message called tools and carries no thinking blocks. Anthropic refuses thinking for
 * such a call (the turn's thinking block must come first), so it goes without: the model thought
 * when the turn began.
 */
function continuesTurnWithoutThinking(messages: ChatMessage[]): boolean {
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index] as ChatMessage;
    if (message.role !== 'assistant') continue;
    return (message.tool_calls?.length ?? 0) > 0 && replayedThinking(message).length === 0;
  }
  return false;
}

/**
 * The `thinking` field for the request's reasoning_effort, or undefined for none (no effort,
 * 'none', or a tool turn continued without its thinking). `maxTokens` is the call's max_tokens;
 * the budget must stay below it, so a budget that does not fit becomes half of it (at least
 * 1024). Settings thinking cannot take are refused by name: a temperature other than 1, top_p
 * below 0.95, a forced tool (tool_choice 'required' or named) and JSON mode (a forced tool).
 */
export function thinkingFor(
  request: ChatRequest,
  maxTokens: number,
  forcesTool: boolean,
): { type: 'enabled'; budget_tokens: number } | undefined {
  const budget = thinkingBudget(request.reasoning_effort);
  if (!budget) return undefined;
  const withEffort = 'cannot be combined with reasoning_effort (extended thinking)';
  if (request.temperature !== undefined && request.temperature !== null && request.temperature !== 1)
    throw refuse('temperature', `temperature ${withEffort}, which takes only 1; leave one out`);
  if (request.top_p !== undefined && request.top_p !== null && request.top_p < 0.95)
    throw refuse('top_p', `top_p below 0.95 ${withEffort}; leave one out`);
  const choice = request.tool_choice;
  if (choice === 'required' || (typeof choice === 'object' && choice !== null))
    throw refuse('tool_choice', `a forced tool_choice ${withEffort}; use "auto"`);
  if (forcesTool)
    throw refuse('response_format', `response_format json_object ${withEffort}; give a json_schema`);
  if (continuesTurnWithoutThinking(request.messages)) return undefined;
  if (maxTokens <= MIN_BUDGET) {
    const field = typeof request.max_completion_tokens === 'number' ? 'max_completion_tokens' : 'max_tokens';
    throw new BadRequestError(
      `Anthropic: reasoning_effort needs ${field} above ${MIN_BUDGET} (extended thinking's smallest budget)`,
      { provider: 'anthropic', field },
    );
  }
  const fitted = budget < maxTokens ? budget : Math.max(MIN_BUDGET, Math.floor(maxTokens / 2));
  return { type: 'enabled', budget_tokens: fitted };
}
