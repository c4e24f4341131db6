import {
  type CallContext,
  type ChatCompletion,
  type ChatRequest,
  type ChatResult,
  type ChatToolCall,
  MalformedResponseError,
} from '@switchboard/provider-spec';
import { postJson } from '../shared/bearer-connection.ts';
import type { HttpClient } from '../shared/http.ts';
import { toCohereChatBody } from './cohere-chat-request.ts';
import { cohereConnection } from './cohere-connection.ts';
import { cohereFinishError, mapCohereFinishReason } from './map-cohere-finish-reason.ts';
import { type CohereUsage, mapCohereUsage } from './map-cohere-usage.ts';

/** Cohere's non-streaming `/v2/chat` answer. */
export interface CohereChatResponse {
  id: string;
  finish_reason: string;
  message?: {
    role: 'assistant';
    content?: ({ type: 'text'; text: string } | { type: 'thinking'; thinking: string } | { type: string })[];
    tool_plan?: string;
    tool_calls?: { id?: string; type?: string; function?: { name?: string; arguments?: string } }[];
  };
  usage?: CohereUsage;
}

/** Cohere's answer as an OpenAI chat completion. `created` is when the answer arrived. */
export function fromCohereChatResponse(response: CohereChatResponse, model: string): ChatCompletion {
  const message = response.message;
  if (!message || typeof response.finish_reason !== 'string') {
    throw new MalformedResponseError('Cohere: the chat answer has no message', { provider: 'cohere' });
  }
  const failure = cohereFinishError(response.finish_reason, undefined);
  if (failure) throw failure;
  // Thinking blocks have no place in a chat completion; only the answer's text is kept.
  const text = (message.content ?? [])
    .map((part) => (part.type === 'text' && 'text' in part ? part.text : ''))
    .join('');
  const toolCalls: ChatToolCall[] = (message.tool_calls ?? []).map((call, index) => ({
    id: call.id ?? `call_${index}`,
    type: 'function',
    function: { name: call.function?.name ?? '', arguments: call.function?.arguments ?? '' },
  }));
  const content = text !== '' ? text : (message.tool_plan ?? (toolCalls.length ? null : ''));
  const usage = mapCohereUsage(response.usage);
  return {
    id: response.id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) },
        finish_reason: mapCohereFinishReason(response.finish_reason),
      },
    ],
    ...(usage ? { usage } : {}),
  };
}

/** Non-streaming chat through `POST /v2/chat`. */
export async function cohereChat(
  client: HttpClient,
  request: ChatRequest,
  context: CallContext,
): Promise<ChatResult> {
  const connection = cohereConnection(context);
  const body = toCohereChatBody(request, false);
  const answer = await postJson<CohereChatResponse>(client, connection, '/v2/chat', body, context.signal);
  const completion = fromCohereChatResponse(answer, request.model);
  return { completion, ...(completion.usage ? { usage: completion.usage } : {}) };
}
