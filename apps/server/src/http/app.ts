import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type Core, pingDatabase } from '@switchboard/core';
import type { Logger } from '../log.ts';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from './limits.ts';
import { createTrpcHandler } from './trpc-handler.ts';

/** A mounted sub-application (the gateway at /v1, the console at /). */
export type Mount = (request: IncomingMessage, response: ServerResponse) => void;

/** What the HTTP server serves. */
export interface AppOptions {
  core: Core;
  logger: Logger;
  /** The OpenAI-compatible gateway, mounted at /v1 when present. */
  gateway?: Mount;
  /** The console's session path to the gateway (`/console/v1/…`, the playground), when present. */
  consoleGateway?: Mount;
  /** The built console, serving every other path when present. */
  console?: Mount;
  /** Body, timing and connection limits (defaults: `DEFAULT_HTTP_LIMITS`). */
  limits?: HttpLimits;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** The one node:http server: /healthz, /trpc, /v1 and the console. */
export function createApp(options: AppOptions): Server {
  const limits = options.limits ?? DEFAULT_HTTP_LIMITS;
  const trpc = createTrpcHandler(options.core, options.logger, limits);
  // Node checks the header and request deadlines on this interval: a fraction of the shortest,
  // so a small configured limit is kept to closely (Node's own default is 30 s).
  const connectionsCheckingInterval = Math.max(
    50,
    Math.min(30_000, Math.floor(Math.min(limits.headersTimeoutMs, limits.bodyTimeoutMs) / 4)),
  );
  const server = createServer({ connectionsCheckingInterval }, (request, response) => {
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
    if (options.consoleGateway && url.startsWith('/console/v1/'))
      return options.consoleGateway(request, response);
    if (options.console) return options.console(request, response);
    sendJson(response, 404, { error: { message: `Not found: ${url.split('?')[0]}` } });
  });
  // Slow or stalled clients cannot hold a connection forever. Bodies that are read have their
  // own idle and total limits (`readBody`); the request timeout is the backstop for any other
  // (an unread body being discarded), a little later so the readers answer first with a 408.
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.bodyTimeoutMs + limits.headersTimeoutMs;
  server.keepAliveTimeout = 65_000;
  // Over this many connections, new ones are closed at once: descriptors and memory stay bounded.
  server.maxConnections = limits.maxConnections;
  return server;
}
