import type { Dispatcher } from 'undici';
import { util } from 'undici';
import type { CancelSignal } from '@switchboard/provider-spec';
import type { ResponseHeaders } from './upstream-errors.ts';

/** Unread bytes above which the upstream socket is paused until the reader catches up. */
const HIGH_WATER_BYTES = 64 * 1024;

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * One upstream request and its response body, as an undici dispatch handler.
 *
 * `undici.request()` wraps every response in a Node Readable stream, an AbortSignal listener
 * and a request handler of its own; on the gateway's hot path that machinery cost more than
 * the rest of a call's JavaScript together. This handler keeps the body in a small queue
 * read as an async iterable (one promise per chunk, no stream), pauses the socket when the
 * reader falls behind, and parses response headers only when someone reads them.
 *
 * Subclasses turn transport failures (reset, timeout, abort) into their own errors in
 * `mapError`, so the body needs no wrapping generator.
 */
export class Exchange implements Dispatcher.DispatchHandler, AsyncIterator<Uint8Array> {
  status = 0;
  /** Settles when the response head arrived (or the request failed before it). */
  readonly started: Promise<void>;
  #resolveStarted!: () => void;
  #rejectStarted!: (error: unknown) => void;
  #rawHeaders: Buffer[] = [];
  #headers: ResponseHeaders | undefined;

  #abort: ((reason?: Error) => void) | undefined;
  #resume: (() => void) | undefined;
  /** The caller's cancel signal (subclasses map errors with it). */
  protected readonly signal: CancelSignal;
  #onAbort: (() => void) | undefined;

  #chunks: Buffer[] = [];
  #head = 0;
  #queuedBytes = 0;
  #paused = false;
  /** Reading everything at once (text, bytes): never pause. */
  #collecting = false;
  #ended = false;
  #error: unknown;
  #waiter:
    | { resolve: (step: IteratorResult<Uint8Array>) => void; reject: (error: unknown) => void }
    | undefined;
  #whenEnded: { resolve: () => void; reject: (error: unknown) => void } | undefined;

  constructor(signal: CancelSignal) {
    this.signal = signal;
    this.started = new Promise<void>((resolve, reject) => {
      this.#resolveStarted = resolve;
      this.#rejectStarted = reject;
    });
    if (!signal.aborted) {
      this.#onAbort = () => this.cancel(signal.reason);
      if ('addEventListener' in signal) signal.addEventListener('abort', this.#onAbort, { once: true });
      else signal.once('abort', this.#onAbort);
    }
  }

  /** Response headers (lower-case names), parsed on first use. */
  get headers(): ResponseHeaders {
    this.#headers ??= util.parseHeaders(this.#rawHeaders) as ResponseHeaders;
    return this.#headers;
  }

  /**
   * One response header (its first value), read from the raw head without parsing all of it: a
   * relayed answer needs only its content type.
   */
  header(name: string): string | undefined {
    if (this.#headers) {
      const value = this.#headers[name];
      return Array.isArray(value) ? value[0] : value;
    }
    const raw = this.#rawHeaders;
    for (let index = 0; index + 1 < raw.length; index += 2) {
      const key = raw[index] as Buffer;
      if (key.length === name.length && key.toString('latin1').toLowerCase() === name)
        return (raw[index + 1] as Buffer).toString('latin1');
    }
    return undefined;
  }

  /** What a transport failure becomes for the reader (as it is, here). */
  protected mapError(error: unknown): unknown {
    return error;
  }

  /** Stops the request; the reader sees `reason` mapped by `mapError`. */
  cancel(reason?: unknown): void {
    if (this.#ended) return;
    const error =
      reason instanceof Error ? reason : new DOMException('The request was cancelled', 'AbortError');
    if (this.#abort) this.#abort(error);
    else this.onError(error);
  }

  // --- undici's dispatch handler -------------------------------------------------------------

  onConnect(abort: (reason?: Error) => void): void {
    this.#abort = abort;
    if (this.signal.aborted) abort(this.signal.reason instanceof Error ? this.signal.reason : undefined);
  }

  onHeaders(status: number, rawHeaders: Buffer[], resume: () => void): boolean {
    // 1xx heads (100 Continue, 103 Early Hints) precede the real one.
    if (status < 200) return true;
    this.status = status;
    this.#rawHeaders = rawHeaders;
    this.#resume = resume;
    this.#resolveStarted();
    return true;
  }

  onData(chunk: Buffer): boolean {
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter.resolve({ done: false, value: chunk });
      return true;
    }
    this.#chunks.push(chunk);
    this.#queuedBytes += chunk.length;
    if (!this.#collecting && this.#queuedBytes > HIGH_WATER_BYTES) {
      this.#paused = true;
      return false;
    }
    return true;
  }

  onComplete(): void {
    this.#ended = true;
    this.#release();
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter.resolve(DONE);
    }
    this.#whenEnded?.resolve();
  }

  onError(error: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#release();
    const mapped = this.mapError(error);
    if (this.status === 0) {
      this.#rejectStarted(mapped);
      return;
    }
    this.#error = mapped;
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter.reject(mapped);
    }
    this.#whenEnded?.reject(mapped);
  }

  #release(): void {
    if (this.#onAbort) {
      const signal = this.signal;
      if ('removeEventListener' in signal) signal.removeEventListener('abort', this.#onAbort);
      else signal.removeListener('abort', this.#onAbort);
      this.#onAbort = undefined;
    }
  }

  // --- the body, read once: as an async iterable, or whole --------------------------------------

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this;
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.#head < this.#chunks.length) {
      const chunk = this.#chunks[this.#head] as Buffer;
      this.#chunks[this.#head] = undefined as unknown as Buffer;
      this.#head += 1;
      if (this.#head === this.#chunks.length) {
        this.#chunks = [];
        this.#head = 0;
      }
      this.#queuedBytes -= chunk.length;
      if (this.#paused && this.#queuedBytes <= HIGH_WATER_BYTES / 2) {
        this.#paused = false;
        this.#resume?.();
      }
      return Promise.resolve({ done: false, value: chunk });
    }
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve(DONE);
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  /** The reader stopped early: the rest is not wanted, so the request ends here. */
  return(): Promise<IteratorResult<Uint8Array>> {
    if (!this.#ended) {
      this.#release();
      this.#ended = true;
      this.#chunks = [];
      this.#abort?.(new DOMException('The response body was not read to its end', 'AbortError'));
    }
    return Promise.resolve(DONE);
  }

  /** The whole body, once it has arrived. */
  async bytes(): Promise<Buffer> {
    this.#collecting = true;
    if (this.#paused) {
      this.#paused = false;
      this.#resume?.();
    }
    if (!this.#ended) {
      await new Promise<void>((resolve, reject) => {
        this.#whenEnded = { resolve, reject };
      });
    } else if (this.#error !== undefined) {
      throw this.#error;
    }
    const chunks = this.#head === 0 ? this.#chunks : this.#chunks.slice(this.#head);
    this.#chunks = [];
    this.#head = 0;
    this.#queuedBytes = 0;
    if (chunks.length === 1) return chunks[0] as Buffer;
    return Buffer.concat(chunks);
  }
}
