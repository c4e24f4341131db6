import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A request the fake upstream received, for asserting exactly what an adapter sent. */
export interface RecordedRequest {
  method: string;
  /** Path and query, as sent (`/v1/models?limit=5`). */
  url: string;
  /** Path without the query. */
  path: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body: Buffer;
  text(): string;
  json(): unknown;
}

/** A canned answer. Streams are `chunks` written one by one, so tests choose where events split. */
export interface CannedResponse {
  status?: number;
  headers?: Record<string, string>;
  /** Sent as JSON with content-type application/json. */
  json?: unknown;
  /** Sent as it is. */
  body?: string | Buffer;
  /** Written one after another, flushed each time. */
  chunks?: (string | Buffer)[];
  /** Wait between chunks, in milliseconds. */
  chunkDelayMs?: number;
  /** Wait before the headers, in milliseconds. */
  delayMs?: number;
  /** Destroy the socket after the chunks instead of ending the response: an upstream dying mid-stream. */
  destroyAfterChunks?: boolean;
  /** Never answer (for timeouts and aborts). */
  hang?: boolean;
}

/** A route's answer: canned, or a function for anything unusual. */
export type Responder =
  | CannedResponse
  | ((request: RecordedRequest, response: ServerResponse) => void | Promise<void>);

/** A local HTTP server that answers by method and path, and records every request. */
export interface FakeUpstream {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  url: string;
  requests: RecordedRequest[];
  /** Requests whose client went away before the answer ended (for abort tests). */
  aborted: RecordedRequest[];
  /** Answers `METHOD path` (path without query) with `responder`; later routes replace earlier ones. */
  route(method: string, path: string, responder: Responder): void;
  /** Number of TCP connections accepted so far (for keep-alive checks). */
  connections(): number;
  /** Forgets routes and recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

/** Reads a file from a test's `__fixtures__` folder (relative to the test's `import.meta.url`). */
export function fixture(base: string | URL, name: string): string {
  return readFileSync(new URL(`./__fixtures__/${name}`, base), 'utf8');
}

/** Splits text into chunks of `size` bytes, deliberately cutting through events and characters. */
export function splitBytes(text: string, size: number): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return chunks;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function answer(canned: CannedResponse, _request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (canned.hang) return;
  if (canned.delayMs) await sleep(canned.delayMs);
  const headers: Record<string, string> = { ...canned.headers };
  if (canned.json !== undefined) headers['content-type'] ??= 'application/json';
  response.writeHead(canned.status ?? 200, headers);
  if (canned.chunks) {
    response.flushHeaders();
    for (const chunk of canned.chunks) {
      // Not `request.destroyed`: Node destroys a fully read request, which is every request here.
      if (response.destroyed || response.socket?.destroyed !== false) return;
      response.write(chunk);
      if (canned.chunkDelayMs) await sleep(canned.chunkDelayMs);
    }
    if (canned.destroyAfterChunks) {
      response.socket?.destroy();
      return;
    }
    response.end();
    return;
  }
  response.end(canned.json !== undefined ? JSON.stringify(canned.json) : (canned.body ?? ''));
}

/** Starts a fake upstream on 127.0.0.1 and a free port. */
export async function startFakeUpstream(): Promise<FakeUpstream> {
  const routes = new Map<string, Responder>();
  const requests: RecordedRequest[] = [];
  const aborted: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let connectionCount = 0;

  const server: Server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = request.url ?? '/';
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      headers[name] = Array.isArray(value) ? value.join(', ') : (value ?? '');
    }
    const recorded: RecordedRequest = {
      method: request.method ?? 'GET',
      url,
      path: url.split('?')[0] ?? url,
      headers,
      body,
      text: () => body.toString('utf8'),
      json: () => JSON.parse(body.toString('utf8')),
    };
    requests.push(recorded);
    response.on('close', () => {
      if (!response.writableFinished) aborted.push(recorded);
    });
    const responder = routes.get(`${recorded.method} ${recorded.path}`);
    if (!responder) {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: `fake upstream: no route for ${recorded.method} ${recorded.path}` } }));
      return;
    }
    try {
      if (typeof responder === 'function') await responder(recorded, response);
      else await answer(responder, request, response);
    } catch (error) {
      if (!response.headersSent) response.writeHead(500);
      response.end(String(error));
    }
  });
  server.on('connection', (socket) => {
    connectionCount++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    aborted,
    route(method, path, responder) {
      routes.set(`${method.toUpperCase()} ${path}`, responder);
    },
    connections: () => connectionCount,
    reset() {
      routes.clear();
      requests.length = 0;
      aborted.length = 0;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A 127.0.0.1 port that nothing listens on (for connection-refused tests). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
