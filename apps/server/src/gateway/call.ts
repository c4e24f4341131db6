import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { CancelSignal, ModelType } from '@switchboard/provider-spec';
import { toGatewayError } from './errors.ts';
import type { Principal } from './principal.ts';
import type { GatewayRuntime, Route } from './runtime.ts';

/** Book-keeping of one gateway call, for its usage record. */
export class CallRecord {
  readonly started = performance.now();
  readonly at = new Date();
  route: Route | undefined;
  credentialId: string | null = null;
  tokensIn = 0;
  tokensOut = 0;
  ttfbMs: number | null = null;

  constructor(
    readonly runtime: GatewayRuntime,
    readonly principal: Principal,
    readonly type: ModelType,
  ) {}

  /** Marks the first byte sent to the client. */
  firstByte(): void {
    this.ttfbMs ??= performance.now() - this.started;
  }

  /** Queues the usage record (only for calls that reached a model). */
  finish(outcome: string, status: number): void {
    const route = this.route;
    if (!route) return;
    this.principal.limits?.spent(route.resolved, this.tokensIn, this.tokensOut);
    this.runtime.usage.record({
      workspaceId: this.principal.workspaceId,
      apiKeyId: this.principal.apiKeyId,
      userId: this.principal.userId,
      provider: route.resolved.provider,
      model: route.resolved.model,
      modelType: this.type,
      credentialId: this.credentialId,
      tokensIn: this.tokensIn,
      tokensOut: this.tokensOut,
      latencyMs: performance.now() - this.started,
      ttfbMs: this.ttfbMs,
      outcome,
      status,
      at: this.at,
    });
  }

  /** Records a failed call and returns the error to answer with. */
  failed(error: unknown) {
    const gatewayError = toGatewayError(error);
    this.finish(gatewayError.code, gatewayError.status);
    return gatewayError;
  }
}

/**
 * Fires `abort` when the client goes away before the answer is complete. An EventEmitter
 * rather than an AbortController: cheaper per call, and undici accepts either (CancelSignal).
 */
class ClientGone extends EventEmitter {
  aborted = false;
  reason: unknown;
}

/** A cancel signal that fires when the client goes away before the answer is complete. */
export function clientGone(response: ServerResponse): CancelSignal {
  const signal = new ClientGone();
  response.once('close', () => {
    if (response.writableFinished) return;
    signal.aborted = true;
    signal.reason = new DOMException('The client went away', 'AbortError');
    signal.emit('abort');
  });
  return signal;
}

/**
 * Resolves when a full response buffer drained, or the client went away. A client that reads
 * nothing for `idleMs` is dropped (which cancels the upstream call through `clientGone`).
 */
export function drained(response: ServerResponse, idleMs: number): Promise<void> {
  if (response.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    const timer = setTimeout(() => {
      response.destroy();
      done();
    }, idleMs);
    response.once('drain', done);
    response.once('close', done);
  });
}

/** Sends a complete JSON answer. */
export function sendJson(response: ServerResponse, body: string | Uint8Array, status = 200): void {
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength,
  });
  response.end(body);
}
