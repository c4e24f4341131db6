import {
  type ChatCompletionChunk,
  type ChatStream,
  type FinishReason,
  MalformedResponseError,
  UpstreamUnavailableError,
  type Usage,
} from '@switchboard/provider-spec';
import { SSE_DONE } from '../shared/sse.ts';
import type { ErrorContext } from '../shared/upstream-errors.ts';
import { mapOllamaFinishReason } from './map-ollama-finish-reason.ts';
import { plainContentLiteral } from './ollama-content-literal.ts';
import { completionId, createdSeconds, toChatToolCall, usageOf } from './ollama-chat.ts';
import { streamLineError } from './ollama-errors.ts';
import { NdjsonLineSplitter } from './ollama-ndjson-lines.ts';
import type { OllamaChatResponse } from './ollama-wire.ts';

type Delta = ChatCompletionChunk['choices'][number]['delta'] & { reasoning_content?: string };

/** What the translation needs besides the upstream body. */
export interface OllamaStreamOptions {
  requestedModel: string;
  /** `stream_options.include_usage`: end with a usage chunk, as OpenAI does. */
  includeUsage: boolean;
  errorContext: ErrorContext;
  /** `parallel_tool_calls: false`: pass on the answer's first tool call only (Ollama has no such switch). */
  singleToolCall?: boolean;
}

const encoder = new TextEncoder();

/**
 * Translates Ollama's NDJSON chat stream into OpenAI's SSE chunks. Every line of one network
 * read is translated synchronously and the chunks leave as one write. Each chunk holds the JSON
 * `encodeSseData` would write, built around a prefix serialised once; token text is spliced in
 * as Ollama encoded it (Go may escape `<` as `\u003c`: the same string once parsed). A stream
 * that ends without Ollama's `done:true` line was cut short: the body throws, never ends quietly.
 */
export function translateOllamaStream(
  upstream: AsyncIterable<Uint8Array>,
  options: OllamaStreamOptions,
): ChatStream {
  const { requestedModel, includeUsage, errorContext } = options;
  const toolCallLimit = options.singleToolCall === true ? 1 : Number.POSITIVE_INFINITY;
  const id = completionId();
  let usage: Usage | undefined;
  // `data: {"id":…,"object":…,"created":…,"model":…,"choices":` once the first line told created and model.
  let prefix: string | undefined;
  let sentRole = false;
  let toolCallCount = 0;
  let finished = false;
  let out = '';

  const choice = (delta: Delta, finishReason: FinishReason | null) => {
    if (!sentRole) {
      sentRole = true;
      delta = { role: 'assistant', ...delta };
    }
    out += `${prefix}[${JSON.stringify({ index: 0, delta, finish_reason: finishReason })}]}\n\n`;
  };

  const onLine = (text: string) => {
    // Ollama closes right after the final line; anything after it is ignored, not an error.
    if (finished) return;
    if (sentRole) {
      // The hot path, once per token: the text goes out as Ollama encoded it, unparsed.
      const literal = plainContentLiteral(text);
      if (literal !== undefined) {
        if (literal !== '""')
          out += `${prefix}[{"index":0,"delta":{"content":${literal}},"finish_reason":null}]}\n\n`;
        return;
      }
    }
    let line: OllamaChatResponse;
    try {
      line = JSON.parse(text) as OllamaChatResponse;
    } catch (error) {
      throw new MalformedResponseError('Ollama: a stream line is not JSON', {
        provider: 'ollama',
        status: 200,
        cause: error,
      });
    }
    if (line === null || typeof line !== 'object') {
      throw new MalformedResponseError('Ollama: a stream line is not a JSON object', {
        provider: 'ollama',
        status: 200,
      });
    }
    if (line.error !== undefined) throw streamLineError(String(line.error), errorContext);
    if (prefix === undefined) {
      const created = createdSeconds(line.created_at);
      const model = line.model || requestedModel;
      prefix = `data: {"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"choices":`;
    }
    const message = line.message;
    if (message?.thinking) choice({ reasoning_content: message.thinking }, null);
    if (message?.content) {
      if (sentRole)
        out += `${prefix}[{"index":0,"delta":{"content":${JSON.stringify(message.content)}},"finish_reason":null}]}\n\n`;
      else choice({ content: message.content }, null);
    }
    // Calls beyond the client's limit (parallel_tool_calls: false) are left out, in every line.
    const wanted = message?.tool_calls?.slice(0, Math.max(0, toolCallLimit - toolCallCount)) ?? [];
    if (wanted.length > 0) {
      // Ollama sends each tool call whole: one delta carries id, name and all arguments.
      const calls = wanted.map((call) => {
        const openai = toChatToolCall(call);
        return {
          index: toolCallCount++,
          id: openai.id,
          type: 'function' as const,
          function: openai.function,
        };
      });
      choice({ tool_calls: calls }, null);
    }
    if (line.done === true) {
      finished = true;
      usage = usageOf(line);
      choice({}, mapOllamaFinishReason(line.done_reason, toolCallCount > 0));
      if (includeUsage) out += `${prefix}[],"usage":${JSON.stringify(usage)}}\n\n`;
    }
  };

  async function* body(): AsyncIterable<Uint8Array> {
    const splitter = new NdjsonLineSplitter();
    let failure: unknown;
    for await (const chunk of upstream) {
      try {
        splitter.push(chunk, onLine);
      } catch (error) {
        failure = error;
      }
      // What was translated before a failing line still reaches the client, then the error.
      if (out !== '') {
        const text = out;
        out = '';
        yield encoder.encode(text);
      }
      if (failure !== undefined) throw failure;
    }
    splitter.end(onLine);
    if (out !== '') {
      const text = out;
      out = '';
      yield encoder.encode(text);
    }
    if (!finished) {
      throw new UpstreamUnavailableError('Ollama: the stream ended before the answer was complete', {
        provider: 'ollama',
        status: 200,
      });
    }
    yield SSE_DONE;
  }

  return { body: body(), usage: () => usage };
}
