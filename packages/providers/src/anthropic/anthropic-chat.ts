import {
  type ChatCompletion,
  type ChatToolCall,
  type FinishReason,
  MalformedResponseError,
  type Usage,
} from '@switchboard/provider-spec';
import type { AnthropicThinkingBlock } from './anthropic-thinking.ts';
import { mapAnthropicFinishReason } from './map-anthropic-finish-reason.ts';

/** Token counts as Anthropic reports them; `input_tokens` excludes cache reads and writes. */
export interface AnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

/** A Messages API response (the fields Switchboard reads). */
export interface AnthropicResponse {
  id: string;
  type: 'message';
  model: string;
  content: {
    type: string;
    text?: string;
    id?: string;
    name?: string;
    input?: unknown;
    thinking?: string;
    signature?: string;
    data?: string;
  }[];
  stop_reason: string | null;
  usage?: AnthropicUsage;
}

/** OpenAI usage from Anthropic's: prompt tokens include cache reads and writes, as OpenAI's include cached ones. */
export function toCanonicalUsage(usage: AnthropicUsage): Usage {
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  const prompt = (usage.input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0) + cacheRead;
  const completion = usage.output_tokens ?? 0;
  const result: Usage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
  };
  if (cacheRead > 0) result.prompt_tokens_details = { cached_tokens: cacheRead };
  return result;
}

/** The finish reason; a turn that ended in the JSON tool alone ended as a plain answer. */
function finishReason(stopReason: string | null, toolCalls: number): FinishReason {
  const reason = mapAnthropicFinishReason(stopReason) ?? 'stop';
  return reason === 'tool_calls' && toolCalls === 0 ? 'stop' : reason;
}

/**
 * The canonical completion for a Messages API response (`jsonTool`: JSON mode's synthetic tool).
 * Thinking is the message's `reasoning_content`, as the gateway gives reasoning for every
 * provider; the blocks themselves, with their signatures, are `thinking_blocks` (litellm's name),
 * which a client sending the message back returns, so a tool turn keeps its thinking.
 */
export function toChatCompletion(
  response: AnthropicResponse,
  created: number,
  jsonTool?: string,
): ChatCompletion {
  if (!response || !Array.isArray(response.content)) {
    throw new MalformedResponseError('Anthropic: the response has no content', { provider: 'anthropic' });
  }
  let text: string | null = null;
  const toolCalls: ChatToolCall[] = [];
  let reasoning = '';
  const thinkingBlocks: AnthropicThinkingBlock[] = [];
  for (const block of response.content) {
    if (block.type === 'text') text = (text ?? '') + (block.text ?? '');
    else if (block.type === 'thinking') {
      reasoning += block.thinking ?? '';
      thinkingBlocks.push({
        type: 'thinking',
        thinking: block.thinking ?? '',
        signature: block.signature ?? '',
      });
    } else if (block.type === 'redacted_thinking') {
      thinkingBlocks.push({ type: 'redacted_thinking', data: block.data ?? '' });
    } else if (block.type === 'tool_use' && block.name === jsonTool && jsonTool !== undefined) {
      // JSON mode: the synthetic tool's input is the answer.
      text = (text ?? '') + JSON.stringify(block.input ?? {});
    } else if (block.type === 'tool_use') {
      toolCalls.push({
        id: block.id ?? `toolu_${toolCalls.length}`,
        type: 'function',
        function: { name: block.name ?? '', arguments: JSON.stringify(block.input ?? {}) },
      });
    }
  }
  const completion: ChatCompletion = {
    id: response.id,
    object: 'chat.completion',
    created,
    model: response.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
          ...(reasoning ? { reasoning_content: reasoning } : {}),
          ...(thinkingBlocks.length > 0 ? { thinking_blocks: thinkingBlocks } : {}),
        },
        finish_reason: finishReason(response.stop_reason, toolCalls.length),
      },
    ],
  };
  if (response.usage) completion.usage = toCanonicalUsage(response.usage);
  return completion;
}
