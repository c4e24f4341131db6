import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type Core, pingDatabase } from '@switchboard/core';
import type { Logger } from '../log.ts';
import { createTrpcHandler } from './trpc-handler.ts';

/** A mounted sub-application (the gateway at /v1, the console at /). */
export type Mount = (request: IncomingMessage, response: ServerResponse) => void;

/** What the HTTP server serves. */
export interface AppOptions {
  core: Core;
  logger: Logger;
  /** The OpenAI-compatible gateway, mounted at /v1 when present. */
  gateway?: Mount;
  /** The built console, serving every other path when present. */
  console?: Mount;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** The one node:http server: /healthz, /trpc, /v1 and the console. */
export function createApp(options: AppOptions): Server {
  const trpc = createTrpcHandler(options.core, options.logger);
  const server = createServer((request, response) => {
    const url = request.url ?? '/';
    if (url.startsWith('/trpc/')) return trpc(request, response);
    if (url === '/healthz' || url.startsWith('/healthz?')) {
      pingDatabase(options.core.db).then(
        () => sendJson(response, 200, { status: 'ok' }),
        (error) => {
          options.logger.error('health check failed', { error });
          sendJson(response, 503, { status: 'unavailable', reason: 'database unreachable' });
        },
      );
      return;
    }
    if (options.gateway && (url === '/v1' || url.startsWith('/v1/')))
      return options.gateway(request, response);
    if (options.console) return options.console(request, response);
    sendJson(response, 404, { error: { message: `Not found: ${url.split('?')[0]}` } });
  });
  // Slow or stalled clients cannot hold a connection forever.
  server.requestTimeout = 300_000;
  server.headersTimeout = 30_000;
  server.keepAliveTimeout = 65_000;
  return server;
}
