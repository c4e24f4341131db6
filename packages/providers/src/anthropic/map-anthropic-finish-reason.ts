import type { FinishReason } from '@switchboard/provider-spec';

/** Anthropic `stop_reason` to OpenAI `finish_reason`; unknown reasons (pause_turn...) count as a normal stop. */
export function mapAnthropicFinishReason(stopReason: string | null | undefined): FinishReason | null {
  switch (stopReason) {
    case null:
    case undefined:
      return null;
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}
