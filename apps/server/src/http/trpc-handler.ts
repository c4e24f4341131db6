import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { type Authentication, appRouter, createInnerContext } from '@switchboard/api';
import { authenticatePersonalToken, authenticateSession, type Core } from '@switchboard/core';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import type { Logger } from '../log.ts';
import { readCookies, responseCookieJar, SESSION_COOKIE } from './cookies.ts';
import { isCrossSiteRequest } from './csrf.ts';

/** Who is calling: a bearer personal access token, else the session cookie. */
async function authenticate(core: Core, request: IncomingMessage): Promise<Authentication | null> {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) {
    const found = await authenticatePersonalToken(core, header.slice(7).trim());
    return found ? { userId: found.userId, via: 'token', tokenId: found.tokenId } : null;
  }
  const session = readCookies(request.headers.cookie).get(SESSION_COOKIE);
  if (!session) return null;
  const found = await authenticateSession(core, session);
  return found ? { userId: found.userId, via: 'session', sessionId: found.sessionId } : null;
}

function reject(response: ServerResponse, status: number, message: string): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ error: { message, code: status === 403 ? 'FORBIDDEN' : 'BAD_REQUEST' } }));
}

/** The /trpc endpoint: authentication, the cross-site check for cookie sessions, then tRPC. */
export function createTrpcHandler(core: Core, logger: Logger): RequestListener {
  const handler = createHTTPHandler({
    router: appRouter,
    basePath: '/trpc/',
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
  return (request, response) => {
    const usesCookie =
      !request.headers.authorization && readCookies(request.headers.cookie).has(SESSION_COOKIE);
    if (usesCookie && isCrossSiteRequest(request)) {
      reject(response, 403, 'Cross-site request refused: use the console, or send a personal access token');
      return;
    }
    handler(request, response);
  };
}
