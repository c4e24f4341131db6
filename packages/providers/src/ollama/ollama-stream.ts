import { parseNdjson } from '../shared/ndjson.ts';
import { encodeSseData, SSE_DONE } from '../shared/sse.ts';
import type { ErrorContext } from '../shared/upstream-errors.ts';
import type { ChatStream } from '../spec/adapter.ts';
import type { ChatCompletionChunk, Usage } from '../spec/canonical.ts';
import { isProviderError, MalformedResponseError, UpstreamUnavailableError } from '../spec/errors.ts';
import { mapOllamaFinishReason } from './map-ollama-finish-reason.ts';
import { completionId, createdSeconds, toChatToolCall, usageOf } from './ollama-chat.ts';
import { streamLineError } from './ollama-errors.ts';
import type { OllamaChatResponse } from './ollama-wire.ts';

type Delta = ChatCompletionChunk['choices'][number]['delta'] & { reasoning_content?: string };

/** What the translation needs besides the upstream body. */
export interface OllamaStreamOptions {
  requestedModel: string;
  /** `stream_options.include_usage`: end with a usage chunk, as OpenAI does. */
  includeUsage: boolean;
  errorContext: ErrorContext;
}

/**
 * Translates Ollama's NDJSON chat stream into OpenAI's SSE chunks. A stream that ends
 * without Ollama's `done:true` line was cut short: the body throws instead of ending quietly.
 */
export function translateOllamaStream(
  upstream: AsyncIterable<Uint8Array>,
  options: OllamaStreamOptions,
): ChatStream {
  const { requestedModel, includeUsage, errorContext } = options;
  let usage: Usage | undefined;

  async function* body(): AsyncIterable<Uint8Array> {
    const id = completionId();
    let created: number | undefined;
    let model = requestedModel;
    let sentRole = false;
    let toolCallCount = 0;
    let finished = false;
    const chunk = (delta: Delta, finishReason: ChatCompletionChunk['choices'][number]['finish_reason']) => {
      if (!sentRole) {
        sentRole = true;
        delta = { role: 'assistant', ...delta };
      }
      const value: ChatCompletionChunk = {
        id,
        object: 'chat.completion.chunk',
        created: created ?? createdSeconds(undefined),
        model,
        choices: [{ index: 0, delta, finish_reason: finishReason }],
      };
      return encodeSseData(value);
    };
    try {
      for await (const line of parseNdjson<OllamaChatResponse>(upstream)) {
        // Ollama closes right after the final line; reading on lets the connection go back to the pool.
        if (finished) continue;
        if (line === null || typeof line !== 'object') {
          throw new MalformedResponseError('Ollama: a stream line is not a JSON object', {
            provider: 'ollama',
            status: 200,
          });
        }
        if (line.error !== undefined) throw streamLineError(String(line.error), errorContext);
        if (created === undefined) {
          created = createdSeconds(line.created_at);
          if (line.model) model = line.model;
        }
        const message = line.message;
        if (message?.thinking) yield chunk({ reasoning_content: message.thinking }, null);
        if (message?.content) yield chunk({ content: message.content }, null);
        if (message?.tool_calls?.length) {
          // Ollama sends each tool call whole: one delta carries id, name and all arguments.
          const calls = message.tool_calls.map((call) => {
            const openai = toChatToolCall(call);
            return {
              index: toolCallCount++,
              id: openai.id,
              type: 'function' as const,
              function: openai.function,
            };
          });
          yield chunk({ tool_calls: calls }, null);
        }
        if (line.done === true) {
          finished = true;
          usage = usageOf(line);
          yield chunk({}, mapOllamaFinishReason(line.done_reason, toolCallCount > 0));
          if (includeUsage) {
            const last: ChatCompletionChunk = {
              id,
              object: 'chat.completion.chunk',
              created: created ?? createdSeconds(undefined),
              model,
              choices: [],
              usage,
            };
            yield encodeSseData(last);
          }
          yield SSE_DONE;
        }
      }
    } catch (error) {
      if (isProviderError(error)) throw error;
      if (error instanceof SyntaxError) {
        throw new MalformedResponseError('Ollama: a stream line is not JSON', {
          provider: 'ollama',
          status: 200,
          cause: error,
        });
      }
      throw error;
    }
    if (!finished) {
      throw new UpstreamUnavailableError('Ollama: the stream ended before the answer was complete', {
        provider: 'ollama',
        status: 200,
      });
    }
  }

  return { body: body(), usage: () => usage };
}
