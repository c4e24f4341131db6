// The Anthropic Messages API answer, built from a chat completion (whole, or streamed as
// Anthropic's event sequence), and Anthropic's error JSON.
import { parseSse } from '@switchboard/providers';
import type { ChatCompletion, ChatCompletionChunk, FinishReason, Usage } from '@switchboard/provider-spec';
import type { GatewayError } from '../errors.ts';
import { randomHex } from '../random-hex.ts';

type Json = Record<string, unknown>;
type Delta = ChatCompletionChunk['choices'][number]['delta'] & { reasoning_content?: string | null };

const encoder = new TextEncoder();

/** A message id in Anthropic's style. */
export const messageId = (): string => `msg_${randomHex(12)}`;

/** The stop reason Anthropic reports for a chat finish reason. */
export function stopReason(finish: FinishReason | null): string {
  switch (finish) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

/** Chat usage in Anthropic's names (cached prompt tokens are reported apart, as Anthropic does). */
export function anthropicUsage(usage: Usage | undefined | null): Json {
  const cached = usage?.prompt_tokens_details?.cached_tokens ?? 0;
  return {
    input_tokens: Math.max(0, (usage?.prompt_tokens ?? 0) - cached),
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
    output_tokens: usage?.completion_tokens ?? 0,
  };
}

/** A tool call's arguments as the `input` object Anthropic carries (`{}` when empty or not JSON). */
function toolInput(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}

/** The Messages API response for a whole chat completion. */
export function messageResponse(completion: ChatCompletion, model: string, usage: Usage | undefined): Json {
  const choice = completion.choices[0];
  const message = (choice?.message ?? { content: null }) as ChatCompletion['choices'][number]['message'] & {
    reasoning_content?: string | null;
  };
  const content: Json[] = [];
  if (message.reasoning_content)
    content.push({ type: 'thinking', thinking: message.reasoning_content, signature: '' });
  if (typeof message.content === 'string' && message.content !== '')
    content.push({ type: 'text', text: message.content });
  for (const call of message.tool_calls ?? []) {
    content.push({
      type: 'tool_use',
      id: call.id,
      name: call.function.name,
      input: toolInput(call.function.arguments),
    });
  }
  return {
    id: messageId(),
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stopReason(choice?.finish_reason ?? null),
    stop_sequence: null,
    usage: anthropicUsage(usage),
  };
}

/** Anthropic's error type for an HTTP status. */
export function anthropicErrorType(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 503:
    case 529:
      return 'overloaded_error';
    case 504:
      return 'timeout_error';
    default:
      return status < 500 ? 'invalid_request_error' : 'api_error';
  }
}

/** An error in Anthropic's JSON shape, so the Anthropic SDKs raise their own error classes. */
export function anthropicErrorBody(error: GatewayError): string {
  return JSON.stringify({
    type: 'error',
    error: { type: anthropicErrorType(error.status), message: error.message },
  });
}

type OpenBlock =
  | { kind: 'text'; index: number }
  | { kind: 'thinking'; index: number }
  | { kind: 'tool'; index: number; chatIndex: number };

/** Retells a chat completions stream as Anthropic's event sequence. */
export class MessagesStreamTranslator {
  readonly #model: string;
  #open: OpenBlock | undefined;
  #blocks = 0;
  #usage: Usage | undefined;
  #finish: FinishReason | null = null;
  #out: string[] = [];

  constructor(model: string) {
    this.#model = model;
  }

  /** The events, as SSE bytes. */
  async *events(chat: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    // Input tokens are known only at the end of a chat stream: message_delta carries them (its
    // usage is cumulative in Anthropic's streams).
    this.#emit('message_start', {
      message: {
        id: messageId(),
        type: 'message',
        role: 'assistant',
        model: this.#model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: 0,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
          output_tokens: 0,
        },
      },
    });
    yield this.#flush();
    for await (const event of parseSse(chat)) {
      if (event.data === '[DONE]') break;
      const chunk = JSON.parse(event.data) as ChatCompletionChunk;
      if (chunk.usage) this.#usage = chunk.usage;
      const choice = chunk.choices?.[0];
      if (choice) {
        this.#delta(choice.delta as Delta);
        if (choice.finish_reason) this.#finish = choice.finish_reason;
      }
      if (this.#out.length > 0) yield this.#flush();
    }
    this.#close();
    this.#emit('message_delta', {
      delta: { stop_reason: stopReason(this.#finish), stop_sequence: null },
      usage: anthropicUsage(this.#usage),
    });
    this.#emit('message_stop', {});
    yield this.#flush();
  }

  /** The bytes that end a stream the provider broke: Anthropic's `error` event. */
  failure(error: GatewayError): Uint8Array {
    this.#out = [];
    this.#emit('error', { error: { type: anthropicErrorType(error.status), message: error.message } });
    return this.#flush();
  }

  #delta(delta: Delta): void {
    if (delta.reasoning_content) {
      const index = this.#ensure('thinking', { type: 'thinking', thinking: '', signature: '' });
      this.#emit('content_block_delta', {
        index,
        delta: { type: 'thinking_delta', thinking: delta.reasoning_content },
      });
    }
    if (delta.content) {
      const index = this.#ensure('text', { type: 'text', text: '' });
      this.#emit('content_block_delta', { index, delta: { type: 'text_delta', text: delta.content } });
    }
    for (const call of delta.tool_calls ?? []) {
      const open = this.#open;
      let index: number;
      if (open?.kind === 'tool' && open.chatIndex === call.index) index = open.index;
      else {
        this.#close();
        index = this.#blocks++;
        this.#open = { kind: 'tool', index, chatIndex: call.index };
        this.#emit('content_block_start', {
          index,
          content_block: {
            type: 'tool_use',
            id: call.id ?? `toolu_${randomHex(12)}`,
            name: call.function?.name ?? '',
            input: {},
          },
        });
      }
      const piece = call.function?.arguments;
      if (piece)
        this.#emit('content_block_delta', {
          index,
          delta: { type: 'input_json_delta', partial_json: piece },
        });
    }
  }

  /** The index of the open block of `kind`, starting one (and closing another) when needed. */
  #ensure(kind: 'text' | 'thinking', block: Json): number {
    if (this.#open?.kind === kind) return this.#open.index;
    this.#close();
    const index = this.#blocks++;
    this.#open = { kind, index } as OpenBlock;
    this.#emit('content_block_start', { index, content_block: block });
    return index;
  }

  #close(): void {
    if (!this.#open) return;
    this.#emit('content_block_stop', { index: this.#open.index });
    this.#open = undefined;
  }

  #emit(type: string, fields: Json): void {
    this.#out.push(`event: ${type}\ndata: ${JSON.stringify({ type, ...fields })}\n\n`);
  }

  #flush(): Uint8Array {
    const bytes = encoder.encode(this.#out.join(''));
    this.#out = [];
    return bytes;
  }
}
