import { parseSse, SSE_DONE } from '../shared/sse.ts';
import type { ErrorContext } from '../shared/upstream-errors.ts';
import type { ChatStream } from '../spec/adapter.ts';
import type { Usage } from '../spec/canonical.ts';
import { MalformedResponseError, UpstreamUnavailableError } from '../spec/errors.ts';
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

const encoder = new TextEncoder();

/**
 * Translates `streamGenerateContent?alt=sse` chunks into OpenAI chunks. Gemini has no end
 * marker besides the last chunk's finishReason, so a stream without one is an error.
 */
export function translateGeminiStream(
  upstream: AsyncIterable<Uint8Array>,
  options: GeminiStreamOptions,
): ChatStream {
  let usage: GeminiUsageMetadata | undefined;

  async function* body(): AsyncIterable<Uint8Array> {
    let prefix = '';
    const delta = (deltaJson: string) =>
      encoder.encode(`${prefix}[{"index":0,"delta":${deltaJson},"finish_reason":null}]}\n\n`);
    let started = false;
    let toolCount = 0;
    let finished = false;

    for await (const event of parseSse(upstream)) {
      let data: GeminiResponse & { error?: { code?: number; message?: string; status?: string } };
      try {
        data = JSON.parse(event.data);
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
        yield delta('{"role":"assistant","content":""}');
      }
      if (data.usageMetadata) usage = data.usageMetadata;
      const candidate = data.candidates?.[0];
      if (!candidate) {
        if (data.promptFeedback?.blockReason) {
          finished = true;
          yield encoder.encode(`${prefix}[{"index":0,"delta":{},"finish_reason":"content_filter"}]}\n\n`);
        }
        continue;
      }
      for (const part of candidate.content?.parts ?? []) {
        if (part.text !== undefined) {
          if (part.text !== '' && !part.thought) yield delta(`{"content":${JSON.stringify(part.text)}}`);
        } else if (part.functionCall) {
          const index = toolCount++;
          const id = toolCallId(part.functionCall, data.responseId, index);
          // Gemini sends a call whole, so one delta carries the id, name and all the arguments.
          yield delta(
            `{"tool_calls":[{"index":${index},"id":${JSON.stringify(id)},"type":"function","function":{"name":${JSON.stringify(part.functionCall.name)},"arguments":${JSON.stringify(JSON.stringify(part.functionCall.args ?? {}))}}}]}`,
          );
        }
      }
      const reason = mapGeminiFinishReason(candidate.finishReason, toolCount > 0);
      if (reason) {
        finished = true;
        yield encoder.encode(`${prefix}[{"index":0,"delta":{},"finish_reason":"${reason}"}]}\n\n`);
      }
    }
    if (!finished) {
      throw new UpstreamUnavailableError('Gemini: the stream ended without a finishReason', {
        provider: 'gemini',
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
