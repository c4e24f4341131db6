import type { IncomingMessage, ServerResponse } from 'node:http';

/** How much of a request body the server takes, and how patiently. */
export interface BodyLimits {
  /** Largest body, in bytes. */
  maxBytes: number;
  /** Longest pause between two parts of the body, in milliseconds. */
  idleMs: number;
  /** Longest time to receive the whole body, in milliseconds, however steadily it trickles in. */
  totalMs: number;
}

/** A body the server refuses: too large (413) or too slow (408). The connection cannot be reused. */
export class BodyError extends Error {
  override readonly name = 'BodyError';
  constructor(
    readonly status: 408 | 413,
    /** Stable code: `request_too_large` or `request_timeout`. */
    readonly code: 'request_too_large' | 'request_timeout',
    message: string,
  ) {
    super(message);
  }
}

/** The client went away (closed or reset its connection) before its body arrived: nobody to answer. */
export class ClientGoneError extends Error {
  override readonly name = 'ClientGoneError';
}

/** A body being read: kept on the request, so the listeners below are shared, not made per call. */
interface BodyRead {
  request: Reading;
  chunks: Buffer[];
  size: number;
  limits: BodyLimits;
  /** When the read began or its last part arrived, and when the whole body is due (`performance.now()`). */
  lastPartAt: number;
  dueAt: number;
  resolve: (body: Buffer) => void;
  reject: (error: unknown) => void;
}

const reading = Symbol('switchboard.bodyRead');
type Reading = IncomingMessage & { [reading]?: BodyRead };

/**
 * Bodies being read, watched by one sweep rather than by two timers each: making and clearing two
 * timers cost every gateway call about a kilobyte and a microsecond, for limits of seconds. A body
 * that stalled or is too slow is refused at the first sweep past its limit, at most an eighth of
 * the limit (and a second) late. The sweep stops once it finds nothing to watch.
 */
const watched = new Set<BodyRead>();
let sweeper: NodeJS.Timeout | undefined;
let sweepMs = Number.POSITIVE_INFINITY;

function watch(read: BodyRead): void {
  watched.add(read);
  const shortest = Math.min(read.limits.idleMs, read.limits.totalMs);
  const period = Math.min(1_000, Math.max(5, Math.floor(shortest / 8)));
  if (sweeper && period >= sweepMs) return;
  if (sweeper) clearInterval(sweeper);
  sweepMs = period;
  sweeper = setInterval(sweep, period);
  sweeper.unref();
}

function sweep(): void {
  if (watched.size === 0) {
    clearInterval(sweeper);
    sweeper = undefined;
    sweepMs = Number.POSITIVE_INFINITY;
    return;
  }
  const now = performance.now();
  for (const read of watched) {
    if (now - read.lastPartAt >= read.limits.idleMs) onIdle(read.request);
    else if (now >= read.dueAt) onTooSlow(read.request);
  }
}

const tooLarge = (limit: number) =>
  new BodyError(413, 'request_too_large', `The request body is larger than ${limit} bytes`);

/**
 * Reads a request body within `limits`. A declared Content-Length over the limit is refused before
 * a byte is read; a chunked body is counted as it arrives. Written without closures: this runs for
 * every gateway call.
 */
export function readBody(request: IncomingMessage, limits: BodyLimits): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limits.maxBytes) {
    return Promise.reject(tooLarge(limits.maxBytes));
  }
  return new Promise((resolve, reject) => {
    const now = performance.now();
    const read: BodyRead = {
      request,
      chunks: [],
      size: 0,
      limits,
      lastPartAt: now,
      dueAt: now + limits.totalMs,
      resolve,
      reject,
    };
    (request as Reading)[reading] = read;
    watch(read);
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
    request.on('close', onClose);
  });
}

function finish(request: Reading): BodyRead {
  const read = request[reading] as BodyRead;
  request[reading] = undefined;
  watched.delete(read);
  request.off('data', onData);
  request.off('end', onEnd);
  request.off('error', onError);
  request.off('close', onClose);
  return read;
}

function onData(this: Reading, chunk: Buffer): void {
  const read = this[reading] as BodyRead;
  read.size += chunk.length;
  if (read.size > read.limits.maxBytes) {
    finish(this);
    // Paused: the rest is not read; the answer closes the connection (see `closeAfterAnswer`).
    this.pause();
    read.reject(tooLarge(read.limits.maxBytes));
    return;
  }
  read.chunks.push(chunk);
  read.lastPartAt = performance.now();
}

function onEnd(this: Reading): void {
  const { chunks, size, resolve } = finish(this);
  resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
}

function onError(this: Reading): void {
  // An aborted upload: the error itself (ECONNRESET "aborted") says nothing more than that.
  finish(this).reject(new ClientGoneError('The client closed the connection while sending its body'));
}

function onClose(this: Reading): void {
  if (this[reading] && !this.complete) onError.call(this);
}

function onIdle(request: Reading): void {
  const read = finish(request);
  request.pause();
  read.reject(
    new BodyError(408, 'request_timeout', `The request body stalled for more than ${read.limits.idleMs} ms`),
  );
}

function onTooSlow(request: Reading): void {
  const read = finish(request);
  request.pause();
  read.reject(
    new BodyError(
      408,
      'request_timeout',
      `The request body took longer than ${read.limits.totalMs} ms to arrive`,
    ),
  );
}

/**
 * Unread bodies up to this size are drained after an early answer (a bad key, an unknown path),
 * so the connection stays usable for the client's pool; larger or unsized ones close it.
 */
export const DRAIN_LIMIT_BYTES = 64 * 1024;

/**
 * Prepares the answer to a request whose body was not (fully) read, before its headers are written.
 * A small declared body is left for Node to discard, keeping the connection alive; anything else
 * (too large, unsized, or stalled) is answered with `Connection: close` and the socket ends once the
 * answer is out, so the rest of the body is never taken for the next request.
 */
export function prepareEarlyAnswer(
  request: IncomingMessage,
  response: ServerResponse,
  mustClose = false,
): void {
  if (request.complete || response.headersSent) return;
  const declared = Number(request.headers['content-length']);
  const drainable =
    !mustClose && request.headers['transfer-encoding'] === undefined && declared <= DRAIN_LIMIT_BYTES;
  if (drainable) return;
  response.setHeader('connection', 'close');
  response.shouldKeepAlive = false;
  // A client that keeps the socket open without sending (or reading) is not waited for.
  response.once('finish', () => request.socket.destroySoon());
}
