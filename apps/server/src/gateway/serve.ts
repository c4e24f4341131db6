import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { ResolvedCredential } from '@switchboard/core';
import type { CancelSignal, ModelType, ProviderAdapter } from '@switchboard/provider-spec';
import { CallRecord, clientGone, drained, sendJson } from './call.ts';
import { GatewayError, sendError, toGatewayError } from './errors.ts';
import type { Principal } from './principal.ts';
import type { GatewayRuntime, Route } from './runtime.ts';

/** Tokens a call consumed, as the usage record counts them. */
export interface TokenCount {
  tokensIn: number;
  tokensOut: number;
}

/** A complete answer, sent at once. */
export interface WholeAnswer extends TokenCount {
  kind: 'whole';
  body: string | Uint8Array;
  /** `application/json` when absent. */
  contentType?: string;
}

/** An answer relayed chunk by chunk as the provider produces it. */
export interface StreamAnswer {
  kind: 'stream';
  headers: OutgoingHttpHeaders;
  /** A chunk already read (to let failover happen before the first byte), sent first. */
  first?: IteratorResult<Uint8Array>;
  chunks: AsyncIterator<Uint8Array>;
  /**
   * Bytes to send in place of a chunk (a chunk holds whole events), when the endpoint must leave
   * something out; absent, chunks go out as they came.
   */
  rewrite?: (chunk: Uint8Array) => Uint8Array;
  /** The tokens counted once the stream ended. */
  usage(): TokenCount;
  /**
   * The provider's failure the stream reported in its own bytes (a relayed error event, passed on
   * as it came), read once the stream ended; undefined when it reported none.
   */
  failed?(): unknown;
  /**
   * What to send when the provider fails after bytes went out (the status can no longer change):
   * bytes that end the stream with an error, or undefined to cut the connection.
   */
  failure(error: GatewayError): Uint8Array | undefined;
}

/** Who a call is for and the gateway's state, for endpoints that look things up while parsing. */
export interface ServeContext {
  runtime: GatewayRuntime;
  principal: Principal;
  /** The client's request headers (protocol headers some endpoints pass on). */
  headers?: IncomingHttpHeaders;
}

/** How an endpoint answers a call. */
export type Answer = WholeAnswer | StreamAnswer;

/**
 * One `/v1` endpoint: what it validates and how it shapes the request and the answer. Everything
 * between (routing, the choice of key, failover, first byte, usage, errors) is `serve`'s.
 * Endpoints are plain objects with no per-call closures: the gateway's hot path runs them.
 */
export interface Endpoint<Input, Request, Result> {
  /** The model type a call resolves (and whose default an absent `model` means). */
  type: ModelType;
  /**
   * Validates the client's input and shapes the request (looking up what it refers to);
   * throws a 4xx GatewayError naming the field.
   */
  parse(input: Input, context: ServeContext): Request | Promise<Request>;
  /** The model the client asked for (absent: the workspace default of `type`). */
  model(request: Request): string | undefined;
  /**
   * The operation the route's adapter lacks for this request ("streaming chat"), named in the
   * 400 answer, or undefined when it has what the request needs.
   */
  missing(adapter: ProviderAdapter, request: Request): string | undefined;
  /** One attempt with one credential; failover may call it again with the next key. */
  attempt(
    route: Route,
    request: Request,
    credential: ResolvedCredential,
    signal: CancelSignal,
  ): Promise<Result>;
  /** The answer to send for the winning attempt's result. */
  answer(result: Result, request: Request, route: Route): Answer;
  /** The body of an error answer, when the API this endpoint imitates has its own (default: OpenAI's). */
  errorBody?: (error: GatewayError) => string;
}

/**
 * The one serve path of the gateway: validate, route, try keys with failover before any byte
 * went out, send the answer (relaying streams with back-pressure), record usage, and answer
 * every failure in the endpoint's error shape. Never throws.
 */
export async function serve<Input, Request, Result>(
  runtime: GatewayRuntime,
  principal: Principal,
  endpoint: Endpoint<Input, Request, Result>,
  input: Input,
  response: ServerResponse,
): Promise<void> {
  const call = new CallRecord(runtime, principal, endpoint.type);
  try {
    // Most endpoints parse and route without waiting: no await (a turn of the microtask queue) then.
    const parsed = endpoint.parse(input, { runtime, principal, headers: response.req?.headers });
    const request = parsed instanceof Promise ? await parsed : parsed;
    const routed = runtime.route(principal, endpoint.type, endpoint.model(request));
    let route = routed instanceof Promise ? await routed : routed;
    if (principal.limits) route = await principal.limits.admit(route, principal.workspaceId);
    call.route = route;
    const missing = endpoint.missing(route.adapter, request);
    if (missing !== undefined) throw unsupported(route, missing);
    const signal = clientGone(response);
    const done = await runtime.withFailover(principal, route, (credential) =>
      endpoint.attempt(route, request, credential, signal),
    );
    call.credentialId = done.credentialId;
    if (principal.console) {
      response.setHeader('x-switchboard-model', `${route.resolved.provider}/${route.resolved.model}`);
      response.setHeader('x-switchboard-credential', done.credentialId);
    }
    const answer = endpoint.answer(done.result, request, route);
    if (answer.kind === 'whole') {
      sendWhole(call, answer, response);
      runtime.succeeded(done.credentialId);
    } else await relay(runtime, principal, call, answer, response);
  } catch (error) {
    const gatewayError = call.failed(error);
    runtime.usage.afterJournal(() => sendError(response, gatewayError, endpoint.errorBody));
  }
}

/** The provider of the resolved model does not offer this operation. */
function unsupported(route: Route, operation: string): GatewayError {
  return new GatewayError(
    400,
    'invalid_request_error',
    'unsupported',
    `${route.resolved.provider}/${route.resolved.model} does not support ${operation}`,
    'model',
  );
}

function sendWhole(call: CallRecord, answer: WholeAnswer, response: ServerResponse): void {
  call.tokensIn = answer.tokensIn;
  call.tokensOut = answer.tokensOut;
  call.firstByte();
  // Recorded, and sent once journaled: a client that has its answer has its usage counted, even
  // if the server is killed the next instant.
  call.finish('ok', 200);
  call.runtime.usage.afterJournal(() => {
    if (answer.contentType === undefined) sendJson(response, answer.body);
    else {
      response.writeHead(200, { 'content-type': answer.contentType });
      response.end(answer.body);
    }
  });
}

/**
 * Relays a stream: a write that fills the socket's buffer waits for it to drain (a client that
 * stops reading is dropped after the write-idle limit, which cancels the upstream call).
 */
async function relay(
  runtime: GatewayRuntime,
  principal: Principal,
  call: CallRecord,
  answer: StreamAnswer,
  response: ServerResponse,
): Promise<void> {
  response.writeHead(200, answer.headers);
  try {
    const { rewrite } = answer;
    let next = answer.first ?? (await answer.chunks.next());
    while (!next.done) {
      if (call.ttfbMs === null) call.firstByte();
      const bytes = rewrite ? rewrite(next.value) : next.value;
      // Only a full socket buffer costs a wait; the common case stays synchronous.
      if (bytes.byteLength > 0 && !response.write(bytes)) await drained(response, runtime.limits.writeIdleMs);
      if (response.destroyed) break;
      next = await answer.chunks.next();
    }
    const usage = answer.usage();
    call.tokensIn = usage.tokensIn;
    call.tokensOut = usage.tokensOut;
    if (response.destroyed) {
      await answer.chunks.return?.();
      call.finish('client_closed', 499);
      return;
    }
    // A relayed stream reports its failure in its own bytes, which the client already has: the
    // key is charged with it as with a failure that broke off a translated stream.
    const failed = answer.failed?.();
    if (failed === undefined) {
      runtime.succeeded(call.credentialId ?? '');
      call.finish('ok', 200);
    } else {
      runtime.failedMidStream(principal, call.credentialId ?? '', failed);
      const { code, status } = toGatewayError(failed);
      call.finish(code, status);
    }
    runtime.usage.afterJournal(() => response.end());
  } catch (error) {
    // Once bytes went out the status cannot change: the stream ends the endpoint's way (an error
    // event, or a cut connection), so clients see a failure, never a silently truncated answer.
    runtime.failedMidStream(principal, call.credentialId ?? '', error);
    const gatewayError = toGatewayError(error);
    const clientClosed = response.destroyed;
    call.finish(clientClosed ? 'client_closed' : gatewayError.code, clientClosed ? 499 : gatewayError.status);
    if (!clientClosed) {
      const ending = answer.failure(gatewayError);
      runtime.usage.afterJournal(() => (ending ? response.end(ending) : response.destroy()));
    }
  }
}
