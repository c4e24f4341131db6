import type { FinishReason } from '@switchboard/provider-spec';

/**
 * Gemini `finishReason` to OpenAI `finish_reason`. Gemini ends a function call with STOP,
 * so `hasToolCalls` turns that into `tool_calls`.
 */
export function mapGeminiFinishReason(
  finishReason: string | undefined,
  hasToolCalls: boolean,
): FinishReason | null {
  switch (finishReason) {
    case undefined:
      return null;
    case 'MAX_TOKENS':
      return 'length';
    case 'SAFETY':
    case 'RECITATION':
    case 'LANGUAGE':
    case 'BLOCKLIST':
    case 'PROHIBITED_CONTENT':
    case 'SPII':
    case 'IMAGE_SAFETY':
    case 'IMAGE_PROHIBITED_CONTENT':
    case 'IMAGE_RECITATION':
      return 'content_filter';
    default:
      return hasToolCalls ? 'tool_calls' : 'stop';
  }
}
