import { randomUUID } from 'node:crypto';
import {
  type CallContext,
  type ChatCompletionChunk,
  type ChatRequest,
  type ChatStream,
  type FinishReason,
  MalformedResponseError,
  UpstreamUnavailableError,
  type Usage,
} from '@switchboard/provider-spec';
import type { HttpClient } from '../shared/http.ts';
import { encodeSseData, parseSse, SSE_DONE } from '../shared/sse.ts';
import { toCohereChatBody } from './cohere-chat-request.ts';
import { cohereConnection } from './cohere-connection.ts';
import { cohereFinishError, mapCohereFinishReason } from './map-cohere-finish-reason.ts';
import { type CohereUsage, mapCohereUsage } from './map-cohere-usage.ts';

/** The fields of Cohere v2 stream events this translation reads. */
interface CohereStreamEvent {
  type?: string;
  id?: string;
  index?: number;
  delta?: {
    message?: {
      content?: { type?: string; text?: string };
      tool_plan?: string;
      tool_calls?: { id?: string; type?: string; function?: { name?: string; arguments?: string } };
    };
    finish_reason?: string;
    usage?: CohereUsage;
    error?: string;
  };
}

/** How to label the translated chunks, and where to report usage. */
export interface CohereStreamOptions {
  model: string;
  /** Add OpenAI's final usage chunk (`stream_options.include_usage`). */
  includeUsage: boolean;
  onUsage(usage: Usage): void;
}

const malformed = (detail: string) =>
  new MalformedResponseError(`Cohere: unexpected stream event (${detail})`, { provider: 'cohere' });

/**
 * Re-encodes Cohere's v2 chat stream as OpenAI `chat.completion.chunk` events ending in
 * `data: [DONE]`. Throws UpstreamUnavailableError when the stream ends before `message-end`,
 * so a cut stream never looks like a finished answer.
 */
export async function* translateCohereStream(
  body: AsyncIterable<Uint8Array>,
  options: CohereStreamOptions,
): AsyncIterable<Uint8Array> {
  const created = Math.floor(Date.now() / 1000);
  let id = `chatcmpl-${randomUUID()}`;
  const chunk = (
    delta: ChatCompletionChunk['choices'][number]['delta'],
    finishReason: FinishReason | null = null,
  ) =>
    encodeSseData({
      id,
      object: 'chat.completion.chunk',
      created,
      model: options.model,
      choices: [{ index: 0, delta, finish_reason: finishReason }],
    } satisfies ChatCompletionChunk);
  // Cohere numbers tool calls its own way (sometimes after the content blocks); OpenAI counts them from 0.
  const toolIndexes = new Map<number, number>();

  for await (const sse of parseSse(body)) {
    if (sse.data === '[DONE]') break;
    let event: CohereStreamEvent;
    try {
      event = JSON.parse(sse.data) as CohereStreamEvent;
    } catch {
      throw malformed('not JSON');
    }
    const message = event.delta?.message;
    switch (event.type ?? sse.event) {
      case 'message-start':
        if (event.id) id = event.id;
        yield chunk({ role: 'assistant', content: '' });
        break;
      case 'content-start':
      case 'content-delta': {
        // Thinking blocks carry `thinking` instead of `text`; OpenAI chunks have no place for them.
        const text = message?.content?.text;
        if (text) yield chunk({ content: text });
        break;
      }
      case 'tool-plan-delta':
        if (message?.tool_plan) yield chunk({ content: message.tool_plan });
        break;
      case 'tool-call-start': {
        const call = message?.tool_calls;
        if (!call?.id || !call.function?.name || event.index === undefined)
          throw malformed('tool-call-start');
        const index = toolIndexes.size;
        toolIndexes.set(event.index, index);
        yield chunk({
          tool_calls: [
            {
              index,
              id: call.id,
              type: 'function',
              function: { name: call.function.name, arguments: call.function.arguments ?? '' },
            },
          ],
        });
        break;
      }
      case 'tool-call-delta': {
        const index = event.index === undefined ? undefined : toolIndexes.get(event.index);
        if (index === undefined) throw malformed('tool-call-delta before its tool-call-start');
        const fragment = message?.tool_calls?.function?.arguments;
        if (fragment) yield chunk({ tool_calls: [{ index, function: { arguments: fragment } }] });
        break;
      }
      case 'message-end': {
        const reason = event.delta?.finish_reason;
        const failure = cohereFinishError(reason, event.delta?.error);
        if (failure) throw failure;
        const usage = mapCohereUsage(event.delta?.usage);
        yield chunk({}, mapCohereFinishReason(reason) ?? 'stop');
        if (usage) {
          options.onUsage(usage);
          if (options.includeUsage) {
            yield encodeSseData({
              id,
              object: 'chat.completion.chunk',
              created,
              model: options.model,
              choices: [],
              usage,
            } satisfies ChatCompletionChunk);
          }
        }
        yield SSE_DONE;
        return;
      }
      default:
        // content-end, tool-call-end, citation-*, debug: nothing an OpenAI client would see.
        break;
    }
  }
  throw new UpstreamUnavailableError('Cohere: the stream ended before the answer was complete', {
    provider: 'cohere',
  });
}

/** Streaming chat through `POST /v2/chat` with `stream: true`. */
export async function cohereChatStream(
  client: HttpClient,
  request: ChatRequest,
  context: CallContext,
): Promise<ChatStream> {
  const connection = cohereConnection(context);
  const response = await client.send(
    {
      method: 'POST',
      url: `${connection.baseUrl}/v2/chat`,
      headers: { ...connection.headers, accept: 'text/event-stream' },
      body: toCohereChatBody(request, true),
      signal: context.signal,
      proxyUrl: connection.proxyUrl,
    },
    connection.errorContext,
  );
  let usage: Usage | undefined;
  return {
    body: translateCohereStream(response.body, {
      model: request.model,
      includeUsage: request.stream_options?.include_usage === true,
      onUsage: (value) => {
        usage = value;
      },
    }),
    usage: () => usage,
  };
}
