// The Responses API answer: output items and the response object, built from a chat completion
// (whole, or accumulated from a stream).
import type { ChatCompletion, FinishReason, Usage } from '@switchboard/provider-spec';
import { randomHex } from '../random-hex.ts';
import type { ResponsesRequest } from './responses-request.ts';

type Json = Record<string, unknown>;

/** An id in OpenAI's style: a prefix and 48 hex characters. */
export const itemId = (prefix: 'resp' | 'msg' | 'fc' | 'rs'): string => `${prefix}_${randomHex(24)}`;

/** The Responses API usage object. */
export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

/** Chat completions usage in the Responses API's names. */
export function toResponsesUsage(usage: Usage | undefined | null): ResponsesUsage {
  const input = usage?.prompt_tokens ?? 0;
  const output = usage?.completion_tokens ?? 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: usage?.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: usage?.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: usage?.total_tokens ?? input + output,
  };
}

/** What a chat answer produced, in the order the Responses API lists output items. */
export interface ChatOutput {
  reasoning: string;
  text: string;
  refusal: string;
  toolCalls: { id: string; name: string; arguments: string }[];
  finishReason: FinishReason | null;
}

/** The output items of a finished answer (each with its id). */
export function outputItems(
  output: ChatOutput,
  ids: { reasoning?: string; message?: string; calls?: string[] },
): Json[] {
  const items: Json[] = [];
  if (output.reasoning) items.push(reasoningItem(ids.reasoning ?? itemId('rs'), output.reasoning));
  if (output.text || output.refusal || output.toolCalls.length === 0) {
    items.push(messageItem(ids.message ?? itemId('msg'), output, 'completed'));
  }
  output.toolCalls.forEach((call, index) => {
    items.push(functionCallItem(ids.calls?.[index] ?? itemId('fc'), call, 'completed'));
  });
  return items;
}

/** A reasoning item carrying the model's reasoning text as its summary. */
export function reasoningItem(id: string, text: string): Json {
  return { type: 'reasoning', id, summary: text ? [{ type: 'summary_text', text }] : [] };
}

/** An assistant message item. */
export function messageItem(
  id: string,
  output: Pick<ChatOutput, 'text' | 'refusal'>,
  status: 'in_progress' | 'completed',
): Json {
  const content: Json[] = [];
  if (status === 'completed') {
    if (output.refusal) content.push({ type: 'refusal', refusal: output.refusal });
    if (output.text || !output.refusal) content.push(outputTextPart(output.text));
  }
  return { type: 'message', id, status, role: 'assistant', content };
}

/** An `output_text` content part. */
export const outputTextPart = (text: string): Json => ({
  type: 'output_text',
  text,
  annotations: [],
  logprobs: [],
});

/** A function call item. */
export function functionCallItem(
  id: string,
  call: { id: string; name: string; arguments: string },
  status: 'in_progress' | 'completed',
): Json {
  return { type: 'function_call', id, call_id: call.id, name: call.name, arguments: call.arguments, status };
}

/** The answer's status: cut short by the token limit or a content filter is `incomplete`. */
export function statusOf(finishReason: FinishReason | null): {
  status: 'completed' | 'incomplete';
  incomplete_details: { reason: string } | null;
} {
  if (finishReason === 'length')
    return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (finishReason === 'content_filter') {
    return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  }
  return { status: 'completed', incomplete_details: null };
}

/** Where a response stands: what changes between `response.created` and `response.completed`. */
export interface ResponseState {
  status: 'in_progress' | 'completed' | 'incomplete' | 'failed';
  output: Json[];
  usage: ResponsesUsage | null;
  incomplete_details?: { reason: string } | null;
  error?: { code: string; message: string } | null;
}

/** The response object, with the request's settings echoed as OpenAI does. */
export function responseObject(
  id: string,
  createdAt: number,
  model: string,
  request: ResponsesRequest,
  state: ResponseState,
): Json {
  const { body } = request;
  return {
    id,
    object: 'response',
    created_at: createdAt,
    status: state.status,
    background: false,
    error: state.error ?? null,
    incomplete_details: state.incomplete_details ?? null,
    instructions: request.instructions,
    max_output_tokens: request.maxOutputTokens,
    max_tool_calls: null,
    model,
    output: state.output,
    parallel_tool_calls: request.parallelToolCalls ?? true,
    previous_response_id: request.previousResponseId,
    reasoning: { effort: request.reasoningEffort ?? null, summary: null },
    service_tier: 'default',
    store: request.store,
    temperature: request.temperature ?? 1,
    text: { format: (body.text as Json | undefined)?.format ?? { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: request.tools,
    top_p: request.topP ?? 1,
    truncation: 'disabled',
    usage: state.usage,
    user: request.user ?? null,
    metadata: request.metadata,
  };
}

/** The output of a whole chat completion. */
export function chatOutput(completion: ChatCompletion): ChatOutput {
  const choice = completion.choices[0];
  const message = (choice?.message ?? { content: null }) as ChatCompletion['choices'][number]['message'] & {
    reasoning_content?: string | null;
  };
  return {
    reasoning: message.reasoning_content ?? '',
    text: typeof message.content === 'string' ? message.content : '',
    refusal: message.refusal ?? '',
    toolCalls: (message.tool_calls ?? []).map((call) => ({
      id: call.id,
      name: call.function.name,
      arguments: call.function.arguments,
    })),
    finishReason: choice?.finish_reason ?? null,
  };
}
