import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { type Authentication, appRouter, createInnerContext } from '@switchboard/api';
import { authenticatePersonalToken, authenticateSession, type Core } from '@switchboard/core';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import type { Logger } from '../log.ts';
import { type BodyLimits, BodyError, ClientGoneError, prepareEarlyAnswer, readBody } from './body.ts';
import { readCookies, responseCookieJar, SESSION_COOKIE } from './cookies.ts';
import { isCrossSiteRequest } from './csrf.ts';
import type { HttpLimits } from './limits.ts';

/**
 * Procedures that check a password: each call costs scrypt work, so a batch must not multiply
 * what the login throttle lets through (one attempt in flight per email and address).
 */
const PASSWORD_PROCEDURES = new Set(['auth.login', 'auth.setup', 'auth.createToken']);

/** The methods /trpc serves: queries and subscriptions by GET, mutations by POST. */
const TRPC_METHODS = 'GET, HEAD, POST';

/** Calls in one batch at most: enough for a page's queries, not a lever for amplification. */
export const MAX_BATCH_SIZE = 20;

/** Who is calling: a bearer personal access token, else the session cookie. */
async function authenticate(core: Core, request: IncomingMessage): Promise<Authentication | null> {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) {
    const found = await authenticatePersonalToken(core, header.slice(7).trim());
    return found
      ? { userId: found.userId, via: 'token', tokenId: found.tokenId, scopes: found.scopes }
      : null;
  }
  const session = readCookies(request.headers.cookie).get(SESSION_COOKIE);
  if (!session) return null;
  const found = await authenticateSession(core, session);
  return found ? { userId: found.userId, via: 'session', sessionId: found.sessionId } : null;
}

const CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  403: 'FORBIDDEN',
  405: 'METHOD_NOT_SUPPORTED',
  408: 'TIMEOUT',
  413: 'PAYLOAD_TOO_LARGE',
};

/** An answer given before tRPC runs, in the same `{ error: { message, code } }` shape as ever. */
function reject(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  message: string,
  mustClose = false,
) {
  prepareEarlyAnswer(request, response, mustClose);
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ error: { message, code: CODES[status] ?? 'BAD_REQUEST' } }));
}

/** The procedure paths of a /trpc URL (several for a batch). */
function proceduresOf(url: string): string[] {
  const query = url.indexOf('?');
  const path = url.slice('/trpc/'.length, query === -1 ? undefined : query);
  try {
    return decodeURIComponent(path).split(',');
  } catch {
    return [path];
  }
}

/** Why a batch is refused, or null when it may run. */
function batchRefusal(url: string): string | null {
  const procedures = proceduresOf(url);
  if (procedures.length > MAX_BATCH_SIZE) return `A batch holds at most ${MAX_BATCH_SIZE} calls`;
  if (procedures.length > 1 && procedures.some((path) => PASSWORD_PROCEDURES.has(path))) {
    return `${procedures.find((path) => PASSWORD_PROCEDURES.has(path))} cannot be batched: send it on its own`;
  }
  return null;
}

/**
 * The /trpc endpoint: authentication, the cross-site check for cookie sessions, the batch rules,
 * then tRPC. Bodies are read here, within the size, idle and total limits, before tRPC sees them.
 */
export function createTrpcHandler(core: Core, logger: Logger, limits: HttpLimits): RequestListener {
  const handler = createHTTPHandler({
    router: appRouter,
    basePath: '/trpc/',
    maxBatchSize: MAX_BATCH_SIZE,
    // A second guard behind `readBody`: tRPC never buffers more than this either.
    maxBodySize: limits.maxTrpcBytes,
    createContext: async ({ req, res }) =>
      createInnerContext({
        core,
        auth: await authenticate(core, req),
        cookies: responseCookieJar(req, res),
        clientAddress: req.socket.remoteAddress ?? 'unknown',
      }),
    onError({ error, path }) {
      if (error.code === 'INTERNAL_SERVER_ERROR') {
        logger.error('procedure failed', { path, error: error.cause ?? error });
      }
    },
  });
  const bodyLimits: BodyLimits = {
    maxBytes: limits.maxTrpcBytes,
    idleMs: limits.bodyIdleMs,
    totalMs: limits.bodyTimeoutMs,
  };
  return (request, response) => {
    const usesCookie =
      !request.headers.authorization && readCookies(request.headers.cookie).has(SESSION_COOKIE);
    if (usesCookie && isCrossSiteRequest(request)) {
      reject(
        request,
        response,
        403,
        'Cross-site request refused: use the console, or send a personal access token',
      );
      return;
    }
    // Any other method is refused here: tRPC's fetch layer throws on some (TRACE), which answered 500.
    if (request.method !== 'GET' && request.method !== 'HEAD' && request.method !== 'POST') {
      response.setHeader('allow', TRPC_METHODS);
      reject(request, response, 405, `/trpc answers ${TRPC_METHODS}, not ${request.method}`);
      return;
    }
    const refusal = batchRefusal(request.url ?? '/trpc/');
    if (refusal) {
      reject(request, response, 400, refusal);
      return;
    }
    if (request.method === 'GET' || request.method === 'HEAD') {
      handler(request, response);
      return;
    }
    readBody(request, bodyLimits).then(
      (body) => {
        // tRPC's Node adapter takes a body already read from `req.body`.
        (request as IncomingMessage & { body?: string }).body = body.toString('utf8');
        handler(request, response);
      },
      (error: unknown) => {
        if (error instanceof BodyError) reject(request, response, error.status, error.message, true);
        else if (error instanceof ClientGoneError) logger.debug('client went away', { path: request.url });
        else {
          logger.error('reading a request failed', { path: request.url, error });
          if (!response.headersSent) response.destroy();
        }
      },
    );
  };
}
