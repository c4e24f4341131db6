import {
  type ChatCompletion,
  type ChatToolCall,
  MalformedResponseError,
  type Usage,
} from '@switchboard/provider-spec';
import type { GeminiPart } from './gemini-request.ts';
import { mapGeminiFinishReason } from './map-gemini-finish-reason.ts';

/** `usageMetadata`: cumulative on every streamed chunk. */
export interface GeminiUsageMetadata {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  cachedContentTokenCount?: number;
  toolUsePromptTokenCount?: number;
  totalTokenCount?: number;
}

/** A generateContent response, or one streamed chunk of it. */
export interface GeminiResponse {
  candidates?: { content?: { role?: string; parts?: GeminiPart[] }; finishReason?: string; index?: number }[];
  promptFeedback?: { blockReason?: string };
  usageMetadata?: GeminiUsageMetadata;
  modelVersion?: string;
  responseId?: string;
}

/** OpenAI usage from Gemini's: thinking tokens count as completion tokens, as OpenAI counts reasoning. */
export function toCanonicalUsage(metadata: GeminiUsageMetadata): Usage {
  const prompt = (metadata.promptTokenCount ?? 0) + (metadata.toolUsePromptTokenCount ?? 0);
  const thoughts = metadata.thoughtsTokenCount ?? 0;
  const completion = (metadata.candidatesTokenCount ?? 0) + thoughts;
  const usage: Usage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: metadata.totalTokenCount ?? prompt + completion,
  };
  if (metadata.cachedContentTokenCount)
    usage.prompt_tokens_details = { cached_tokens: metadata.cachedContentTokenCount };
  if (thoughts > 0) usage.completion_tokens_details = { reasoning_tokens: thoughts };
  return usage;
}

/** An OpenAI tool-call id for a Gemini function call, which usually has none of its own. */
export function toolCallId(call: { id?: string }, responseId: string | undefined, index: number): string {
  return call.id ?? `call_${responseId ?? 'gemini'}_${index}`;
}

/** The canonical completion for a generateContent response. */
export function toChatCompletion(response: GeminiResponse, model: string, created: number): ChatCompletion {
  if (!response || typeof response !== 'object') {
    throw new MalformedResponseError('Gemini: the response is not an object', { provider: 'gemini' });
  }
  const candidate = response.candidates?.[0];
  let text: string | null = null;
  const toolCalls: ChatToolCall[] = [];
  // Thought summaries (asked for with reasoning_effort) are the reasoning, as for other providers.
  let reasoning = '';
  for (const part of candidate?.content?.parts ?? []) {
    if (part.text !== undefined && part.thought) reasoning += part.text;
    else if (part.text !== undefined) text = (text ?? '') + part.text;
    else if (part.functionCall) {
      toolCalls.push({
        id: toolCallId(part.functionCall, response.responseId, toolCalls.length),
        type: 'function',
        function: { name: part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}) },
      });
    }
  }
  // A blocked prompt has no candidate at all, only promptFeedback.
  const finishReason = candidate
    ? (mapGeminiFinishReason(candidate.finishReason, toolCalls.length > 0) ?? 'stop')
    : 'content_filter';
  const completion: ChatCompletion = {
    id: response.responseId ?? `gemini-${created}`,
    object: 'chat.completion',
    created,
    model: response.modelVersion ?? model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
          ...(reasoning ? { reasoning_content: reasoning } : {}),
        },
        finish_reason: finishReason,
      },
    ],
  };
  if (response.usageMetadata) completion.usage = toCanonicalUsage(response.usageMetadata);
  return completion;
}
