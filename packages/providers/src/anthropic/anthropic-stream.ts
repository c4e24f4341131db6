import type { ChatStream } from '../spec/adapter.ts';
import type { Usage } from '../spec/canonical.ts';
import { MalformedResponseError, UpstreamUnavailableError } from '../spec/errors.ts';
import { parseSse, SSE_DONE } from '../shared/sse.ts';
import type { ErrorContext } from '../shared/upstream-errors.ts';
import { type AnthropicUsage, toCanonicalUsage } from './anthropic-chat.ts';
import { streamEventError } from './anthropic-errors.ts';
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
}

interface StreamEvent {
  type: string;
  index?: number;
  message?: { id?: string; model?: string; usage?: AnthropicUsage };
  content_block?: { type: string; id?: string; name?: string; text?: string };
  delta?: { type?: string; text?: string; partial_json?: string; stop_reason?: string | null };
  usage?: AnthropicUsage;
  error?: { type?: string; message?: string };
}

const encoder = new TextEncoder();

/**
 * Translates Anthropic's stream events into OpenAI chunks. Chunks are written as strings around a
 * fixed prefix so each event costs one JSON.parse and one small JSON.stringify of the delta text.
 */
export function translateAnthropicStream(
  upstream: AsyncIterable<Uint8Array>,
  options: AnthropicStreamOptions,
): ChatStream {
  let usage: AnthropicUsage | undefined;
  const { context } = options;

  async function* body(): AsyncIterable<Uint8Array> {
    let prefix = '';
    const setPrefix = (id: string, model: string) => {
      prefix = `data: {"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${options.created},"model":${JSON.stringify(model)},"choices":`;
    };
    setPrefix('msg', options.model);
    const delta = (deltaJson: string) =>
      encoder.encode(`${prefix}[{"index":0,"delta":${deltaJson},"finish_reason":null}]}\n\n`);
    // Anthropic numbers every content block; OpenAI numbers tool calls only.
    const toolIndexByBlock = new Map<number, number>();
    let toolCount = 0;
    let finished = false;

    for await (const event of parseSse(upstream)) {
      let data: StreamEvent;
      try {
        data = JSON.parse(event.data) as StreamEvent;
      } catch (error) {
        throw new MalformedResponseError('Anthropic: a stream event is not JSON', {
          provider: 'anthropic',
          cause: error,
        });
      }
      switch (data.type) {
        case 'content_block_delta': {
          const change = data.delta;
          if (change?.type === 'text_delta') {
            if (change.text) yield delta(`{"content":${JSON.stringify(change.text)}}`);
          } else if (change?.type === 'input_json_delta') {
            const toolIndex = toolIndexByBlock.get(data.index ?? -1);
            if (toolIndex !== undefined && change.partial_json) {
              yield delta(
                `{"tool_calls":[{"index":${toolIndex},"function":{"arguments":${JSON.stringify(change.partial_json)}}}]}`,
              );
            }
          }
          break;
        }
        case 'message_start': {
          const message = data.message ?? {};
          setPrefix(message.id ?? 'msg', message.model ?? options.model);
          if (message.usage) usage = { ...message.usage };
          yield delta('{"role":"assistant","content":""}');
          break;
        }
        case 'content_block_start': {
          const block = data.content_block;
          if (block?.type === 'tool_use') {
            const toolIndex = toolCount++;
            toolIndexByBlock.set(data.index ?? -1, toolIndex);
            yield delta(
              `{"tool_calls":[{"index":${toolIndex},"id":${JSON.stringify(block.id ?? '')},"type":"function","function":{"name":${JSON.stringify(block.name ?? '')},"arguments":""}}]}`,
            );
          } else if (block?.type === 'text' && block.text) {
            yield delta(`{"content":${JSON.stringify(block.text)}}`);
          }
          break;
        }
        case 'message_delta': {
          // message_delta usage is cumulative and may repeat the input counts: later values win.
          if (data.usage) usage = { ...usage, ...data.usage };
          const reason = mapAnthropicFinishReason(data.delta?.stop_reason);
          if (reason)
            yield encoder.encode(`${prefix}[{"index":0,"delta":{},"finish_reason":"${reason}"}]}\n\n`);
          break;
        }
        case 'message_stop':
          finished = true;
          break;
        case 'error':
          throw streamEventError(data, context);
        default:
          // ping, content_block_stop, thinking and signature deltas carry nothing OpenAI clients read.
          break;
      }
    }
    if (!finished) {
      throw new UpstreamUnavailableError('Anthropic: the stream ended before message_stop', {
        provider: 'anthropic',
      });
    }
    if (options.includeUsage && usage) {
      yield encoder.encode(`${prefix}[],"usage":${JSON.stringify(toCanonicalUsage(usage))}}\n\n`);
    }
    yield SSE_DONE;
  }

  return {
    body: body(),
    usage: (): Usage | undefined => (usage ? toCanonicalUsage(usage) : undefined),
  };
}
