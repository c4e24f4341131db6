// A chat completions stream (OpenAI chunks, as every adapter produces them) retold as the
// Responses API's typed events: response.created, output items added and done, text and
// function-argument deltas, and response.completed with usage.
import { parseSse } from '@switchboard/providers';
import type { ChatCompletionChunk, FinishReason, Usage } from '@switchboard/provider-spec';
import type { GatewayError } from '../errors.ts';
import {
  functionCallItem,
  itemId,
  messageItem,
  outputTextPart,
  type ResponseState,
  reasoningItem,
  statusOf,
  toResponsesUsage,
} from './responses-output.ts';

type Json = Record<string, unknown>;
type Delta = ChatCompletionChunk['choices'][number]['delta'] & { reasoning_content?: string | null };

const encoder = new TextEncoder();

/** The item being streamed now; the Responses API streams one item at a time. */
type OpenItem =
  | { kind: 'reasoning'; id: string; index: number; text: string }
  | { kind: 'message'; id: string; index: number; text: string; refusal: string }
  | {
      kind: 'call';
      id: string;
      index: number;
      chatIndex: number;
      callId: string;
      name: string;
      arguments: string;
    };

/** How the finished response is described, once the stream ended. */
export interface StreamedResponse {
  /** The response object as `response.completed` carried it. */
  response: Json;
  /** Its output items. */
  output: Json[];
}

/**
 * Translates one stream. `describe` builds the response object for a state (the endpoint owns
 * the settings it echoes); `onComplete` receives the finished response (to store it).
 */
export class ResponsesStreamTranslator {
  readonly #describe: (state: ResponseState) => Json;
  readonly #onComplete: (finished: StreamedResponse) => void;
  #sequence = 0;
  #open: OpenItem | undefined;
  readonly #output: Json[] = [];
  #usage: Usage | undefined;
  #finishReason: FinishReason | null = null;
  #out: string[] = [];

  constructor(describe: (state: ResponseState) => Json, onComplete: (finished: StreamedResponse) => void) {
    this.#describe = describe;
    this.#onComplete = onComplete;
  }

  /** The Responses events, as SSE bytes, one buffer per chat chunk that produced any. */
  async *events(chat: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    const created = this.#describe({ status: 'in_progress', output: [], usage: null });
    this.#emit('response.created', { response: created });
    this.#emit('response.in_progress', { response: created });
    yield this.#flush();
    for await (const event of parseSse(chat)) {
      if (event.data === '[DONE]') break;
      const chunk = JSON.parse(event.data) as ChatCompletionChunk;
      if (chunk.usage) this.#usage = chunk.usage;
      const choice = chunk.choices?.[0];
      if (choice) {
        this.#delta(choice.delta as Delta);
        if (choice.finish_reason) this.#finishReason = choice.finish_reason;
      }
      if (this.#out.length > 0) yield this.#flush();
    }
    this.#close();
    if (this.#output.length === 0) {
      // An empty answer is still an (empty) assistant message, as OpenAI sends it.
      this.#openMessage();
      this.#close();
    }
    const { status, incomplete_details } = statusOf(this.#finishReason);
    const response = this.#describe({
      status,
      output: this.#output,
      usage: toResponsesUsage(this.#usage),
      incomplete_details,
    });
    this.#emit(status === 'completed' ? 'response.completed' : 'response.incomplete', { response });
    yield this.#flush();
    this.#onComplete({ response, output: this.#output });
  }

  /** The bytes that end a stream the provider broke: an `error` event, then `response.failed`. */
  failure(error: GatewayError): Uint8Array {
    this.#out = [];
    this.#emit('error', { code: error.code, message: error.message, param: error.param });
    const response = this.#describe({
      status: 'failed',
      output: this.#output,
      usage: null,
      error: { code: error.code, message: error.message },
    });
    this.#emit('response.failed', { response });
    return this.#flush();
  }

  #delta(delta: Delta): void {
    if (delta.reasoning_content) {
      const item = this.#open?.kind === 'reasoning' ? this.#open : this.#openReasoning();
      item.text += delta.reasoning_content;
      this.#emit('response.reasoning_summary_text.delta', {
        item_id: item.id,
        output_index: item.index,
        summary_index: 0,
        delta: delta.reasoning_content,
      });
    }
    if (delta.content || delta.refusal) {
      const item = this.#open?.kind === 'message' ? this.#open : this.#openMessage();
      if (delta.content) {
        item.text += delta.content;
        this.#emit('response.output_text.delta', {
          item_id: item.id,
          output_index: item.index,
          content_index: 0,
          delta: delta.content,
          logprobs: [],
        });
      }
      if (delta.refusal) item.refusal += delta.refusal;
    }
    for (const call of delta.tool_calls ?? []) {
      const open = this.#open;
      const item =
        open?.kind === 'call' && open.chatIndex === call.index
          ? open
          : this.#openCall(call.index, call.id ?? itemId('fc'), call.function?.name ?? '');
      if (call.function?.name && !item.name) item.name = call.function.name;
      const piece = call.function?.arguments;
      if (piece) {
        item.arguments += piece;
        this.#emit('response.function_call_arguments.delta', {
          item_id: item.id,
          output_index: item.index,
          delta: piece,
        });
      }
    }
  }

  #openReasoning(): OpenItem & { kind: 'reasoning' } {
    this.#close();
    const item = { kind: 'reasoning' as const, id: itemId('rs'), index: this.#output.length, text: '' };
    this.#open = item;
    this.#output.push(reasoningItem(item.id, ''));
    this.#emit('response.output_item.added', { output_index: item.index, item: reasoningItem(item.id, '') });
    this.#emit('response.reasoning_summary_part.added', {
      item_id: item.id,
      output_index: item.index,
      summary_index: 0,
      part: { type: 'summary_text', text: '' },
    });
    return item;
  }

  #openMessage(): OpenItem & { kind: 'message' } {
    this.#close();
    const item = {
      kind: 'message' as const,
      id: itemId('msg'),
      index: this.#output.length,
      text: '',
      refusal: '',
    };
    this.#open = item;
    const added = messageItem(item.id, item, 'in_progress');
    this.#output.push(added);
    this.#emit('response.output_item.added', { output_index: item.index, item: added });
    this.#emit('response.content_part.added', {
      item_id: item.id,
      output_index: item.index,
      content_index: 0,
      part: outputTextPart(''),
    });
    return item;
  }

  #openCall(chatIndex: number, callId: string, name: string): OpenItem & { kind: 'call' } {
    this.#close();
    const item = {
      kind: 'call' as const,
      id: itemId('fc'),
      index: this.#output.length,
      chatIndex,
      callId,
      name,
      arguments: '',
    };
    this.#open = item;
    const added = functionCallItem(item.id, { id: callId, name, arguments: '' }, 'in_progress');
    this.#output.push(added);
    this.#emit('response.output_item.added', { output_index: item.index, item: added });
    return item;
  }

  /** Finishes the item being streamed: its done events, and its final form in the output. */
  #close(): void {
    const item = this.#open;
    if (!item) return;
    this.#open = undefined;
    let done: Json;
    if (item.kind === 'reasoning') {
      done = reasoningItem(item.id, item.text);
      this.#emit('response.reasoning_summary_text.done', {
        item_id: item.id,
        output_index: item.index,
        summary_index: 0,
        text: item.text,
      });
      this.#emit('response.reasoning_summary_part.done', {
        item_id: item.id,
        output_index: item.index,
        summary_index: 0,
        part: { type: 'summary_text', text: item.text },
      });
    } else if (item.kind === 'message') {
      done = messageItem(item.id, item, 'completed');
      this.#emit('response.output_text.done', {
        item_id: item.id,
        output_index: item.index,
        content_index: 0,
        text: item.text,
        logprobs: [],
      });
      this.#emit('response.content_part.done', {
        item_id: item.id,
        output_index: item.index,
        content_index: 0,
        part: outputTextPart(item.text),
      });
    } else {
      done = functionCallItem(
        item.id,
        { id: item.callId, name: item.name, arguments: item.arguments },
        'completed',
      );
      this.#emit('response.function_call_arguments.done', {
        item_id: item.id,
        output_index: item.index,
        name: item.name,
        arguments: item.arguments,
      });
    }
    this.#output[item.index] = done;
    this.#emit('response.output_item.done', { output_index: item.index, item: done });
  }

  #emit(type: string, fields: Json): void {
    const data = JSON.stringify({ type, sequence_number: this.#sequence++, ...fields });
    this.#out.push(`event: ${type}\ndata: ${data}\n\n`);
  }

  #flush(): Uint8Array {
    const bytes = encoder.encode(this.#out.join(''));
    this.#out = [];
    return bytes;
  }
}
