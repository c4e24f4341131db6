import type { ServerResponse } from 'node:http';
import type { ChatRequest, ChatStream } from '@switchboard/providers/spec';
import { CallRecord, clientGone, drained, sendJson } from '../call.ts';
import { errorBody, invalidRequest, sendError, toGatewayError } from '../errors.ts';
import type { Principal } from '../principal.ts';
import type { GatewayRuntime } from '../runtime.ts';
import { requestedModel, unsupported } from './shared.ts';

const encoder = new TextEncoder();
const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
};

/** POST /v1/chat/completions, streaming and not. */
export async function chatCompletions(
  runtime: GatewayRuntime,
  principal: Principal,
  body: Record<string, unknown>,
  response: ServerResponse,
): Promise<void> {
  const call = new CallRecord(runtime, principal, 'llm');
  try {
    if (!Array.isArray(body.messages) || body.messages.length === 0) {
      throw invalidRequest('messages must be a non-empty array', 'messages');
    }
    const route = await runtime.route(principal, 'llm', requestedModel(body));
    call.route = route;
    const signal = clientGone(response);
    // The body was parsed for this call alone: it is sent on with the provider's model name.
    body.model = route.resolved.model;
    const upstream = body as unknown as ChatRequest;
    if (body.stream === true) {
      const { chatStream } = route.adapter;
      if (!chatStream) throw unsupported(route, 'streaming chat');
      // Usage is always asked for, so every call is accounted; the extra final chunk
      // (empty choices) is part of OpenAI's documented stream.
      upstream.stream_options = { ...(upstream.stream_options ?? {}), include_usage: true };
      const begun = await runtime.withFailover(principal, route, async (credential) => {
        const stream = await chatStream.call(route.adapter, upstream, {
          credentials: credential.values,
          signal,
        });
        // The first chunk is read before answering, so a key that fails now can still be replaced.
        const iterator = stream.body[Symbol.asyncIterator]();
        return { stream, iterator, first: await iterator.next() };
      });
      call.credentialId = begun.credentialId;
      await pipeStream(runtime, principal, call, begun.result, response);
      return;
    }
    const { chat } = route.adapter;
    if (!chat) throw unsupported(route, 'chat');
    const done = await runtime.withFailover(principal, route, (credential) =>
      chat.call(route.adapter, upstream, { credentials: credential.values, signal }),
    );
    call.credentialId = done.credentialId;
    const usage = done.result.usage ?? done.result.completion.usage;
    call.tokensIn = usage?.prompt_tokens ?? 0;
    call.tokensOut = usage?.completion_tokens ?? 0;
    call.firstByte();
    sendJson(response, done.result.raw ?? JSON.stringify(done.result.completion));
    call.finish('ok', 200);
  } catch (error) {
    sendError(response, call.failed(error));
  }
}

async function pipeStream(
  runtime: GatewayRuntime,
  principal: Principal,
  call: CallRecord,
  begun: { stream: ChatStream; iterator: AsyncIterator<Uint8Array>; first: IteratorResult<Uint8Array> },
  response: ServerResponse,
): Promise<void> {
  response.writeHead(200, SSE_HEADERS);
  try {
    let next = begun.first;
    while (!next.done) {
      if (call.ttfbMs === null) call.firstByte();
      // Only a full socket buffer costs a wait; the common case stays synchronous.
      if (!response.write(next.value)) await drained(response, runtime.limits.writeIdleMs);
      if (response.destroyed) break;
      next = await begun.iterator.next();
    }
    const usage = begun.stream.usage();
    call.tokensIn = usage?.prompt_tokens ?? 0;
    call.tokensOut = usage?.completion_tokens ?? 0;
    if (response.destroyed) {
      await begun.iterator.return?.();
      call.finish('client_closed', 499);
      return;
    }
    response.end();
    call.finish('ok', 200);
  } catch (error) {
    // Once bytes went out the status cannot change: the stream ends with an error event
    // and no [DONE], so clients see a failure, never a silently truncated answer.
    runtime.failedMidStream(principal, call.credentialId ?? '', error);
    const gatewayError = toGatewayError(error);
    if (!response.destroyed) response.end(encoder.encode(`data: ${errorBody(gatewayError)}\n\n`));
    call.finish(
      response.destroyed ? 'client_closed' : gatewayError.code,
      response.destroyed ? 499 : gatewayError.status,
    );
  }
}
