import type { NativeResponse, ProviderError } from '@switchboard/provider-spec';
import type { HttpResponse } from './http.ts';
import type { ErrorContext } from './upstream-errors.ts';

/** How an adapter reads a relayed stream's event as a failure (undefined: not one). */
export type StreamEventReader = (
  event: Record<string, unknown>,
  context: ErrorContext,
) => ProviderError | undefined;

/**
 * A relayed answer: the provider's bytes as they came, and the adapter's reading of its stream's
 * error events. A class, so a relayed call makes one object and no closures (under tsx each
 * closure in an object literal also costs a name definition).
 */
export class RelayedResponse implements NativeResponse {
  readonly contentType: string;
  readonly #response: HttpResponse;
  readonly #readEvent: StreamEventReader;
  readonly #context: ErrorContext;

  constructor(response: HttpResponse, readEvent: StreamEventReader, context: ErrorContext) {
    this.contentType = response.header('content-type') ?? 'application/json';
    this.#response = response;
    this.#readEvent = readEvent;
    this.#context = context;
  }

  get body(): AsyncIterable<Uint8Array> {
    return this.#response.body;
  }

  bytes(): Promise<Uint8Array> {
    return this.#response.bytes();
  }

  streamError(event: Record<string, unknown>): ProviderError | undefined {
    return this.#readEvent(event, this.#context);
  }
}
