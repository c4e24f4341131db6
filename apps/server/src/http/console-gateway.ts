import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticateSession, type Core, requireMember } from '@switchboard/core';
import { GatewayError, sendError } from '../gateway/errors.ts';
import type { Principal } from '../gateway/principal.ts';
import type { Logger } from '../log.ts';
import type { Mount } from './app.ts';
import { prepareEarlyAnswer } from './body.ts';
import { readCookies, SESSION_COOKIE } from './cookies.ts';
import { isCrossSiteRequest } from './csrf.ts';

/** Where the console's playground reaches the gateway with its session (decision 0024). */
export const CONSOLE_GATEWAY_PREFIX = '/console/v1/';

/** The `/v1` paths the console may call with its session: the playground's chat, nothing else. */
const ALLOWED = new Set(['chat/completions']);

/** Serves a `/v1` request for a principal already authenticated (the gateway's `handleAs`). */
export type ServeAs = (principal: Principal, request: IncomingMessage, response: ServerResponse) => void;

const refuse = (status: number, type: string, code: string, message: string, param: string | null = null) =>
  new GatewayError(status, type, code, message, param);

/** Who the request is for, or the refusal to send: the session, the cross-site check, the workspace. */
async function principalOf(core: Core, request: IncomingMessage): Promise<Principal> {
  const path = (request.url ?? '').split('?')[0]?.slice(CONSOLE_GATEWAY_PREFIX.length) ?? '';
  if (!ALLOWED.has(path)) {
    throw refuse(
      404,
      'invalid_request_error',
      'unknown_url',
      `Unknown console endpoint: /console/v1/${path}`,
    );
  }
  if (request.method !== 'POST') {
    throw refuse(405, 'invalid_request_error', 'method_not_allowed', `/console/v1/${path} expects POST`);
  }
  const session = readCookies(request.headers.cookie).get(SESSION_COOKIE);
  // The cookie rides along with any request the browser makes, so the request must prove it
  // comes from the console's own pages, exactly as /trpc requires.
  if (session && isCrossSiteRequest(request)) {
    throw refuse(403, 'permission_error', 'cross_site', 'Cross-site request refused: use the console');
  }
  const found = session ? await authenticateSession(core, session) : null;
  if (!found) {
    throw refuse(
      401,
      'authentication_error',
      'session_required',
      'Sign in to the console; apps call /v1 with an API key instead',
    );
  }
  const workspaceId = request.headers['x-switchboard-workspace'];
  if (typeof workspaceId !== 'string' || workspaceId === '') {
    throw refuse(
      400,
      'invalid_request_error',
      'workspace_required',
      'The X-Switchboard-Workspace header must name the workspace id',
      'X-Switchboard-Workspace',
    );
  }
  try {
    await requireMember(core.db, found.userId, workspaceId);
  } catch {
    throw refuse(404, 'invalid_request_error', 'workspace_not_found', 'Workspace not found');
  }
  return { workspaceId, apiKeyId: null, userId: found.userId, limits: null, console: true };
}

/**
 * `/console/v1/chat/completions`: the playground's way to the gateway as the signed-in user. The
 * browser holds no key: the HttpOnly session cookie authenticates it, with the same cross-site
 * check as /trpc; usage is recorded for the user as for their personal access token, and the
 * answer names the model and credential that served it.
 */
export function createConsoleGateway(core: Core, serveAs: ServeAs, logger: Logger): Mount {
  return (request, response) => {
    principalOf(core, request).then(
      (principal) => {
        request.url = `/v1/${(request.url ?? '').slice(CONSOLE_GATEWAY_PREFIX.length)}`;
        serveAs(principal, request, response);
      },
      (error: unknown) => {
        if (!(error instanceof GatewayError)) logger.error('console gateway call failed', { error });
        const refusal =
          error instanceof GatewayError
            ? error
            : refuse(500, 'api_error', 'internal_error', 'The session could not be checked');
        prepareEarlyAnswer(request, response);
        sendError(response, refusal);
      },
    );
  };
}
