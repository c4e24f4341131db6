import {
  type ChatStream,
  MalformedResponseError,
  UpstreamUnavailableError,
  type Usage,
} from '@switchboard/provider-spec';
import { SSE_DONE } from '../shared/sse.ts';
import { ByteWriter, bytesAt, jsonStringEnd } from '../shared/sse-bytes.ts';
import { translateSseReads } from '../shared/sse-reads.ts';
import type { ErrorContext } from '../shared/upstream-errors.ts';
import { type AnthropicUsage, toCanonicalUsage } from './anthropic-chat.ts';
import { streamEventError } from './anthropic-errors.ts';
import type { AnthropicThinkingBlock } from './anthropic-thinking.ts';
import { mapAnthropicFinishReason } from './map-anthropic-finish-reason.ts';

/** How to translate one stream. */
export interface AnthropicStreamOptions {
  /** Send a last `choices: []` chunk with usage (`stream_options.include_usage`). */
  includeUsage: boolean;
  /** Unix seconds for every chunk's `created`. */
  created: number;
  /** Model to report until `message_start` names the real one. */
  model: string;
  context: ErrorContext;
  /** JSON mode's synthetic tool, whose input streams as the message's text. */
  jsonTool?: string;
}

interface StreamEvent {
  type: string;
  index?: number;
  message?: { id?: string; model?: string; usage?: AnthropicUsage };
  content_block?: {
    type: string;
    id?: string;
    name?: string;
    text?: string;
    thinking?: string;
    data?: string;
  };
  delta?: {
    type?: string;
    text?: string;
    partial_json?: string;
    thinking?: string;
    signature?: string;
    stop_reason?: string | null;
  };
  usage?: AnthropicUsage;
  error?: { type?: string; message?: string };
}

const TEXT_DELTA_HEAD = Buffer.from('{"type":"content_block_delta","index":');
const TEXT_DELTA_MARK = Buffer.from(',"delta":{"type":"text_delta","text":');
const CHUNK_CLOSE = Buffer.from('},"finish_reason":null}]}\n\n');

/**
 * Where the still-encoded text of a plain text_delta event starts (its end is `end - 2`), or -1
 * for any other shape, which then takes the JSON.parse path. Text deltas are nearly every event
 * of a stream; copying their literal skips a decode, a parse, a stringify and an encode.
 */
export function textDeltaStart(bytes: Buffer, start: number, end: number): number {
  if (!bytesAt(bytes, start, TEXT_DELTA_HEAD)) return -1;
  let at = start + TEXT_DELTA_HEAD.length;
  const digits = at;
  while (at < end && (bytes[at] ?? 0) >= 48 && (bytes[at] ?? 0) <= 57) at++;
  if (at === digits || !bytesAt(bytes, at, TEXT_DELTA_MARK)) return -1;
  const literal = at + TEXT_DELTA_MARK.length;
  if (bytes[literal] !== 34 /* " */) return -1;
  // Exactly `}}` may follow the text: another field would mean a shape this shortcut does not know.
  if (jsonStringEnd(bytes, literal, end) !== end - 2 || bytes[end - 2] !== 125 || bytes[end - 1] !== 125)
    return -1;
  return literal;
}

/**
 * Translates Anthropic's stream events into OpenAI chunks. The events of one network read are
 * translated synchronously into one buffer and leave as one write.
 */
export function translateAnthropicStream(
  upstream: AsyncIterable<Uint8Array>,
  options: AnthropicStreamOptions,
): ChatStream {
  let usage: AnthropicUsage | undefined;
  const { context } = options;
  const out = new ByteWriter();
  let prefix = '';
  let textOpen = Buffer.alloc(0);
  const setPrefix = (id: string, model: string) => {
    prefix = `data: {"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${options.created},"model":${JSON.stringify(model)},"choices":`;
    textOpen = Buffer.from(`${prefix}[{"index":0,"delta":{"content":`);
  };
  setPrefix('msg', options.model);
  const delta = (deltaJson: string) =>
    out.text(`${prefix}[{"index":0,"delta":${deltaJson},"finish_reason":null}]}\n\n`);
  // Anthropic numbers every content block; OpenAI numbers tool calls only.
  const toolIndexByBlock = new Map<number, number>();
  let toolCount = 0;
  let finished = false;
  // The content block that is JSON mode's tool call, streamed as text.
  let jsonBlock = -1;
  // Thinking blocks so far, and the one being streamed (its block index): each finished one is
  // sent as the whole `thinking_blocks` list, which stream accumulators that assign unknown
  // delta fields (the OpenAI SDK's) keep on the final message, so it can be sent back.
  const thinkingBlocks: AnthropicThinkingBlock[] = [];
  let thinkingOpen: { index: number; block: AnthropicThinkingBlock } | undefined;

  const onEvent = (data: StreamEvent): void => {
    switch (data.type) {
      case 'content_block_delta': {
        const change = data.delta;
        if (change?.type === 'text_delta') {
          if (change.text) delta(`{"content":${JSON.stringify(change.text)}}`);
        } else if (change?.type === 'thinking_delta') {
          // Thinking is the reasoning the gateway gives for every provider.
          if (change.thinking) delta(`{"reasoning_content":${JSON.stringify(change.thinking)}}`);
          if (thinkingOpen?.block.type === 'thinking') thinkingOpen.block.thinking += change.thinking ?? '';
        } else if (change?.type === 'signature_delta') {
          if (thinkingOpen?.block.type === 'thinking') thinkingOpen.block.signature += change.signature ?? '';
        } else if (change?.type === 'input_json_delta' && data.index === jsonBlock) {
          if (change.partial_json) delta(`{"content":${JSON.stringify(change.partial_json)}}`);
        } else if (change?.type === 'input_json_delta') {
          const toolIndex = toolIndexByBlock.get(data.index ?? -1);
          if (toolIndex !== undefined && change.partial_json) {
            delta(
              `{"tool_calls":[{"index":${toolIndex},"function":{"arguments":${JSON.stringify(change.partial_json)}}}]}`,
            );
          }
        }
        return;
      }
      case 'message_start': {
        const message = data.message ?? {};
        setPrefix(message.id ?? 'msg', message.model ?? options.model);
        if (message.usage) usage = { ...message.usage };
        delta('{"role":"assistant","content":""}');
        return;
      }
      case 'content_block_start': {
        const block = data.content_block;
        if (block?.type === 'tool_use' && options.jsonTool !== undefined && block.name === options.jsonTool) {
          jsonBlock = data.index ?? -1;
        } else if (block?.type === 'tool_use') {
          const toolIndex = toolCount++;
          toolIndexByBlock.set(data.index ?? -1, toolIndex);
          delta(
            `{"tool_calls":[{"index":${toolIndex},"id":${JSON.stringify(block.id ?? '')},"type":"function","function":{"name":${JSON.stringify(block.name ?? '')},"arguments":""}}]}`,
          );
        } else if (block?.type === 'text' && block.text) {
          delta(`{"content":${JSON.stringify(block.text)}}`);
        } else if (block?.type === 'thinking') {
          const thinking = block.thinking ?? '';
          thinkingOpen = { index: data.index ?? -1, block: { type: 'thinking', thinking, signature: '' } };
          if (thinking) delta(`{"reasoning_content":${JSON.stringify(thinking)}}`);
        } else if (block?.type === 'redacted_thinking') {
          thinkingOpen = {
            index: data.index ?? -1,
            block: { type: 'redacted_thinking', data: block.data ?? '' },
          };
        }
        return;
      }
      case 'message_delta': {
        // message_delta usage is cumulative and may repeat the input counts: later values win.
        if (data.usage) usage = { ...usage, ...data.usage };
        let reason = mapAnthropicFinishReason(data.delta?.stop_reason);
        // A turn that ended in the JSON tool alone ended as a plain answer.
        if (reason === 'tool_calls' && toolCount === 0) reason = 'stop';
        if (reason) out.text(`${prefix}[{"index":0,"delta":{},"finish_reason":"${reason}"}]}\n\n`);
        return;
      }
      case 'content_block_stop':
        if (thinkingOpen && thinkingOpen.index === data.index) {
          thinkingBlocks.push(thinkingOpen.block);
          thinkingOpen = undefined;
          delta(`{"thinking_blocks":${JSON.stringify(thinkingBlocks)}}`);
        }
        return;
      case 'message_stop':
        finished = true;
        return;
      case 'error':
        throw streamEventError(data, context);
      default:
        // ping carries nothing.
        return;
    }
  };

  const onData = (bytes: Buffer, start: number, end: number): void => {
    const literal = textDeltaStart(bytes, start, end);
    if (literal !== -1) {
      if (end - 2 - literal > 2) {
        out.bytes(textOpen);
        out.bytes(bytes, literal, end - 2);
        out.bytes(CHUNK_CLOSE);
      }
      return;
    }
    let data: StreamEvent;
    try {
      data = JSON.parse(bytes.toString('utf8', start, end)) as StreamEvent;
    } catch (error) {
      throw new MalformedResponseError('Anthropic: a stream event is not JSON', {
        provider: 'anthropic',
        cause: error,
      });
    }
    onEvent(data);
  };

  async function* body(): AsyncIterable<Uint8Array> {
    yield* translateSseReads(upstream, onData, out);
    if (!finished) {
      throw new UpstreamUnavailableError('Anthropic: the stream ended before message_stop', {
        provider: 'anthropic',
      });
    }
    if (options.includeUsage && usage)
      out.text(`${prefix}[],"usage":${JSON.stringify(toCanonicalUsage(usage))}}\n\n`);
    if (!out.empty) yield out.take();
    yield SSE_DONE;
  }

  return {
    body: body(),
    usage: (): Usage | undefined => (usage ? toCanonicalUsage(usage) : undefined),
  };
}
