import type { ResolvedCredential } from '@switchboard/core';
import {
  type CancelSignal,
  type ChatParameters,
  type ChatRequest,
  type ChatResult,
  type ChatStream,
  type ProviderAdapter,
  unsupportedParameter,
} from '@switchboard/provider-spec';
import { errorBody, invalidRequest } from '../errors.ts';
import type { Route } from '../runtime.ts';
import type { Answer, Endpoint, TokenCount } from '../serve.ts';
import { requestedModel } from './shared.ts';
import { withoutUsageChunk } from './usage-chunk.ts';

const encoder = new TextEncoder();
/** Headers of a server-sent-events answer. */
export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
};

/** A stream whose first chunk was read inside the attempt, so a key that fails now can still be replaced. */
export interface BegunStream {
  stream: ChatStream;
  iterator: AsyncIterator<Uint8Array>;
  first: IteratorResult<Uint8Array>;
}

/**
 * One chat attempt with one credential: the whole answer, or a stream begun (its first chunk
 * read, so a key that fails now can still be replaced). `request.model` becomes the provider's.
 */
export async function startChat(
  route: Route,
  request: ChatRequest,
  credential: ResolvedCredential,
  signal: CancelSignal,
): Promise<ChatResult | BegunStream> {
  const { adapter } = route;
  if (adapter.chatParameters) refuseUnhonoured(route, request);
  request.model = route.resolved.model;
  const options = { credentials: credential.values, signal };
  if (request.stream !== true)
    return (adapter.chat as NonNullable<typeof adapter.chat>).call(adapter, request, options);
  // Usage is always asked for, so every call is accounted; the chat endpoint drops the extra
  // final chunk (empty choices) unless the client asked for it.
  request.stream_options = { ...(request.stream_options ?? {}), include_usage: true };
  const chatStream = adapter.chatStream as NonNullable<typeof adapter.chatStream>;
  const stream = await chatStream.call(adapter, request, options);
  const iterator = stream.body[Symbol.asyncIterator]();
  return { stream, iterator, first: await iterator.next() };
}

/**
 * Refuses, before any upstream call, a parameter the adapter declares it cannot honour: a 400
 * `unsupported_parameter` naming it, never a silent drop.
 */
function refuseUnhonoured(route: Route, request: ChatRequest): void {
  const parameters = route.adapter.chatParameters as ChatParameters;
  const refused = unsupportedParameter(request as unknown as Record<string, unknown>, parameters);
  if (!refused) return;
  const label = `${route.resolved.provider}/${route.resolved.model}`;
  throw invalidRequest(
    `${refused.name} ${refused.reason} by ${label}`,
    refused.name,
    'unsupported_parameter',
  );
}

/** A chat completions call: the body, sent on, and whether the client asked for the usage chunk. */
interface ChatCall {
  body: ChatRequest;
  usageChunk: boolean;
}

/** POST /v1/chat/completions, streaming and not. The body was parsed for this call alone and is sent on. */
export const chatCompletions: Endpoint<Record<string, unknown>, ChatCall, ChatResult | BegunStream> = {
  type: 'llm',
  parse(body) {
    if (!Array.isArray(body.messages) || body.messages.length === 0) {
      throw invalidRequest('messages must be a non-empty array', 'messages');
    }
    const options = body.stream_options as { include_usage?: unknown } | undefined | null;
    return { body: body as unknown as ChatRequest, usageChunk: options?.include_usage === true };
  },
  model: (call) => requestedModel(call.body as unknown as Record<string, unknown>),
  missing: (adapter, call) => missingChat(adapter, call.body.stream === true),
  attempt: (route, call, credential, signal) => startChat(route, call.body, credential, signal),
  answer(result, call): Answer {
    if ('iterator' in result) {
      return {
        kind: 'stream',
        headers: SSE_HEADERS,
        first: result.first,
        chunks: result.iterator,
        // The gateway always asks for usage; the client sees the usage chunk only if it asked.
        ...(call.usageChunk ? {} : { rewrite: withoutUsageChunk }),
        usage: () => streamTokens(result),
        // An error event and no [DONE]: OpenAI's SDKs raise it.
        failure: (error) => encoder.encode(`data: ${errorBody(error)}\n\n`),
      };
    }
    const usage = result.usage ?? result.completion.usage;
    return {
      kind: 'whole',
      body: result.raw ?? JSON.stringify(result.completion),
      tokensIn: usage?.prompt_tokens ?? 0,
      tokensOut: usage?.completion_tokens ?? 0,
    };
  },
};

/** A begun stream's bytes again, its first chunk (read during failover) included: for translators. */
export async function* replay(begun: BegunStream): AsyncGenerator<Uint8Array> {
  let next = begun.first;
  while (!next.done) {
    yield next.value;
    next = await begun.iterator.next();
  }
}

/** The chat operation a provider lacks for a (streaming or not) call, for every chat-backed endpoint. */
export function missingChat(adapter: ProviderAdapter, stream: boolean): string | undefined {
  if (stream) return adapter.chatStream ? undefined : 'streaming chat';
  return adapter.chat ? undefined : 'chat';
}

/** A begun stream's token count, read once it ended. */
export function streamTokens(begun: BegunStream): TokenCount {
  const usage = begun.stream.usage();
  return { tokensIn: usage?.prompt_tokens ?? 0, tokensOut: usage?.completion_tokens ?? 0 };
}
