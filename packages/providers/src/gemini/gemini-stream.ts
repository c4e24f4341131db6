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
import {
  type GeminiResponse,
  type GeminiUsageMetadata,
  toCanonicalUsage,
  toolCallId,
} from './gemini-chat.ts';
import { streamError } from './gemini-errors.ts';
import { mapGeminiFinishReason } from './map-gemini-finish-reason.ts';

/** How to translate one stream. */
export interface GeminiStreamOptions {
  /** Send a last `choices: []` chunk with usage (`stream_options.include_usage`). */
  includeUsage: boolean;
  /** Unix seconds for every chunk's `created`. */
  created: number;
  /** Model to report when the chunks carry no modelVersion. */
  model: string;
  context: ErrorContext;
}

const TEXT_HEAD = Buffer.from('{"candidates":[{"content":{"parts":[{"text":');
const TEXT_TAIL = Buffer.from('}],"role":"model"},"index":0}],');
const CHUNK_CLOSE = Buffer.from('},"finish_reason":null}]}\n\n');

/**
 * End of the still-encoded text of a plain mid-stream text chunk (one candidate, one text part,
 * no finishReason) whose literal starts at `start + TEXT_HEAD.length`, or -1 for any other
 * shape, which then takes the JSON.parse path. Such chunks are nearly all of a stream; their
 * cumulative usage is repeated by the last chunk, which always takes the full path because it
 * carries the finishReason.
 */
export function textChunkEnd(bytes: Buffer, start: number, end: number): number {
  const literal = start + TEXT_HEAD.length;
  if (!bytesAt(bytes, start, TEXT_HEAD) || bytes[literal] !== 34 /* " */) return -1;
  const literalEnd = jsonStringEnd(bytes, literal, end);
  if (literalEnd === -1 || literalEnd + TEXT_TAIL.length > end || !bytesAt(bytes, literalEnd, TEXT_TAIL))
    return -1;
  return literalEnd;
}

/**
 * Translates `streamGenerateContent?alt=sse` chunks into OpenAI chunks. The events of one network
 * read are translated synchronously into one buffer and leave as one write. Gemini has no end marker besides the last chunk's finishReason, so a
 * stream without one is an error.
 */
export function translateGeminiStream(
  upstream: AsyncIterable<Uint8Array>,
  options: GeminiStreamOptions,
): ChatStream {
  let usage: GeminiUsageMetadata | undefined;
  let prefix = '';
  let started = false;
  let toolCount = 0;
  let finished = false;
  const out = new ByteWriter();
  let textOpen = Buffer.alloc(0);
  const delta = (deltaJson: string) =>
    out.text(`${prefix}[{"index":0,"delta":${deltaJson},"finish_reason":null}]}\n\n`);

  const onData = (bytes: Buffer, start: number, end: number): void => {
    if (started) {
      const literalEnd = textChunkEnd(bytes, start, end);
      if (literalEnd !== -1) {
        const literal = start + TEXT_HEAD.length;
        if (literalEnd - literal > 2) {
          out.bytes(textOpen);
          out.bytes(bytes, literal, literalEnd);
          out.bytes(CHUNK_CLOSE);
        }
        return;
      }
    }
    let data: GeminiResponse & { error?: { code?: number; message?: string; status?: string } };
    try {
      data = JSON.parse(bytes.toString('utf8', start, end));
    } catch (error) {
      throw new MalformedResponseError('Gemini: a stream chunk is not JSON', {
        provider: 'gemini',
        cause: error,
      });
    }
    if (data.error) throw streamError(data.error, options.context);
    if (!started) {
      started = true;
      const id = data.responseId ?? `gemini-${options.created}`;
      prefix = `data: {"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${options.created},"model":${JSON.stringify(data.modelVersion ?? options.model)},"choices":`;
      textOpen = Buffer.from(`${prefix}[{"index":0,"delta":{"content":`);
      delta('{"role":"assistant","content":""}');
    }
    if (data.usageMetadata) usage = data.usageMetadata;
    const candidate = data.candidates?.[0];
    if (!candidate) {
      if (data.promptFeedback?.blockReason) {
        finished = true;
        out.text(`${prefix}[{"index":0,"delta":{},"finish_reason":"content_filter"}]}\n\n`);
      }
      return;
    }
    for (const part of candidate.content?.parts ?? []) {
      if (part.text !== undefined) {
        // Thought summaries (asked for with reasoning_effort) are the reasoning, as for other providers.
        const field = part.thought ? 'reasoning_content' : 'content';
        if (part.text !== '') delta(`{"${field}":${JSON.stringify(part.text)}}`);
      } else if (part.functionCall) {
        const index = toolCount++;
        const id = toolCallId(part.functionCall, data.responseId, index);
        // Gemini sends a call whole, so one delta carries the id, name and all the arguments.
        delta(
          `{"tool_calls":[{"index":${index},"id":${JSON.stringify(id)},"type":"function","function":{"name":${JSON.stringify(part.functionCall.name)},"arguments":${JSON.stringify(JSON.stringify(part.functionCall.args ?? {}))}}}]}`,
        );
      }
    }
    const reason = mapGeminiFinishReason(candidate.finishReason, toolCount > 0);
    if (reason) {
      finished = true;
      out.text(`${prefix}[{"index":0,"delta":{},"finish_reason":"${reason}"}]}\n\n`);
    }
  };

  async function* body(): AsyncIterable<Uint8Array> {
    yield* translateSseReads(upstream, onData, out);
    if (!finished) {
      throw new UpstreamUnavailableError('Gemini: the stream ended without a finishReason', {
        provider: 'gemini',
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
