import { randomUUID } from 'node:crypto';
import {
  type ChatCompletion,
  type ChatToolCall,
  MalformedResponseError,
  type Usage,
} from '@switchboard/provider-spec';
import { mapOllamaFinishReason } from './map-ollama-finish-reason.ts';
import type { OllamaChatResponse, OllamaToolCall } from './ollama-wire.ts';

/** A fresh OpenAI-style completion id; Ollama's native API has none. */
export const completionId = (): string => `chatcmpl-${randomUUID().replaceAll('-', '').slice(0, 24)}`;

/** A tool call id for Ollama versions that send none (before v0.12). */
export const toolCallId = (): string => `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`;

/** Unix seconds of Ollama's `created_at`, or now when it is missing. */
export function createdSeconds(createdAt: string | undefined): number {
  const parsed = createdAt ? Date.parse(createdAt) : Number.NaN;
  return Math.floor((Number.isNaN(parsed) ? Date.now() : parsed) / 1000);
}

/** Token usage from the final answer; Ollama omits counts that are zero. */
export function usageOf(response: OllamaChatResponse): Usage {
  const prompt = response.prompt_eval_count ?? 0;
  const completion = response.eval_count ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** Ollama's tool call (arguments as an object) in OpenAI's shape (arguments as a JSON string). */
export function toChatToolCall(call: OllamaToolCall): ChatToolCall {
  return {
    id: call.id || toolCallId(),
    type: 'function',
    function: { name: call.function.name, arguments: JSON.stringify(call.function.arguments ?? {}) },
  };
}

/**
 * Translates a non-streaming `/api/chat` answer into a canonical chat completion. `singleToolCall`
 * (the client sent `parallel_tool_calls: false`, which Ollama has no switch for) keeps only the
 * answer's first tool call.
 */
export function fromOllamaChatResponse(
  response: OllamaChatResponse,
  requestedModel: string,
  singleToolCall = false,
): ChatCompletion {
  const message = response.message;
  if (!response || typeof response !== 'object' || !message || typeof message !== 'object') {
    throw new MalformedResponseError('Ollama: the chat answer has no message', {
      provider: 'ollama',
      status: 200,
    });
  }
  const calls = message.tool_calls ?? [];
  const toolCalls = (singleToolCall ? calls.slice(0, 1) : calls).map(toChatToolCall);
  const content = message.content ?? '';
  const usage = usageOf(response);
  return {
    id: completionId(),
    object: 'chat.completion',
    created: createdSeconds(response.created_at),
    model: response.model || requestedModel,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          // OpenAI sends null content beside tool calls; clients test for it.
          content: content === '' && toolCalls.length > 0 ? null : content,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
          ...(message.thinking ? { reasoning_content: message.thinking } : {}),
        },
        finish_reason: mapOllamaFinishReason(response.done_reason, toolCalls.length > 0),
      },
    ],
    usage,
  };
}
