import type { FinishReason } from '@switchboard/provider-spec';

/**
 * Ollama's `done_reason` (`stop`, `length`, `load`, `unload`) as OpenAI's finish reason.
 * Ollama ends a tool-calling turn with `stop`; OpenAI clients wait for `tool_calls`.
 */
export function mapOllamaFinishReason(doneReason: string | undefined, madeToolCalls: boolean): FinishReason {
  if (madeToolCalls) return 'tool_calls';
  return doneReason === 'length' ? 'length' : 'stop';
}
