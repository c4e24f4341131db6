import type { IncomingMessage } from 'node:http';
import { GatewayError, invalidRequest } from './errors.ts';

/** Reads a request body up to `limit` bytes, giving up on a client that stalls for `idleMs`. */
export function readBody(request: IncomingMessage, limit: number, idleMs: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let timer = setTimeout(stalled, idleMs);
    function stalled() {
      cleanup();
      request.destroy();
      reject(new GatewayError(408, 'invalid_request_error', 'request_timeout', 'The request body stalled'));
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        request.resume();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
      clearTimeout(timer);
      timer = setTimeout(stalled, idleMs);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    function cleanup() {
      clearTimeout(timer);
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
    }
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
  });
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
