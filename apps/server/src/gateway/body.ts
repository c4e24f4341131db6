import type { IncomingMessage } from 'node:http';
import { GatewayError, invalidRequest } from './errors.ts';

/** A body being read: kept on the request, so the listeners below are shared, not made per call. */
interface BodyRead {
  chunks: Buffer[];
  size: number;
  limit: number;
  timer: NodeJS.Timeout;
  resolve: (body: Buffer) => void;
  reject: (error: unknown) => void;
}

const reading = Symbol('switchboard.bodyRead');
type Reading = IncomingMessage & { [reading]?: BodyRead };

/**
 * Reads a request body up to `limit` bytes, giving up on a client that stalls for `idleMs`.
 * Written without closures: this runs for every gateway call.
 */
export function readBody(request: IncomingMessage, limit: number, idleMs: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    (request as Reading)[reading] = {
      chunks: [],
      size: 0,
      limit,
      timer: setTimeout(onStalled, idleMs, request),
      resolve,
      reject,
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
  });
}

function finish(request: Reading): BodyRead {
  const read = request[reading] as BodyRead;
  request[reading] = undefined;
  clearTimeout(read.timer);
  request.off('data', onData);
  request.off('end', onEnd);
  request.off('error', onError);
  return read;
}

function onData(this: Reading, chunk: Buffer): void {
  const read = this[reading] as BodyRead;
  read.size += chunk.length;
  if (read.size > read.limit) {
    finish(this);
    this.resume();
    read.reject(tooLarge(read.limit));
    return;
  }
  read.chunks.push(chunk);
  read.timer.refresh();
}

function onEnd(this: Reading): void {
  const { chunks, size, resolve } = finish(this);
  resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
}

function onError(this: Reading, error: Error): void {
  finish(this).reject(error);
}

function onStalled(request: Reading): void {
  finish(request).reject(
    new GatewayError(408, 'invalid_request_error', 'request_timeout', 'The request body stalled'),
  );
  request.destroy();
}

function tooLarge(limit: number): GatewayError {
  return new GatewayError(
    413,
    'invalid_request_error',
    'request_too_large',
    `The request body is larger than ${limit} bytes`,
  );
}

/** Parses a JSON object body, or says what is wrong with it. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw invalidRequest('The request body is not valid JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidRequest('The request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}
