import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Core } from '@switchboard/core';
import { BodyError, ClientGoneError, prepareEarlyAnswer, readBody } from '../http/body.ts';
import type { Logger } from '../log.ts';
import { parseJsonObject } from './body.ts';
import { transcriptions, speech } from './endpoints/audio.ts';
import { chatCompletions } from './endpoints/chat.ts';
import { embeddings, rerank } from './endpoints/embeddings.ts';
import { countTokens, messages } from './endpoints/messages.ts';
import { models } from './endpoints/models.ts';
import { responses, storedResponse } from './endpoints/responses.ts';
import { errorBody, GatewayError, invalidRequest, sendError, toGatewayError } from './errors.ts';
import { anthropicErrorBody } from './messages/messages-output.ts';
import type { KeyLimiter } from './key-limits.ts';
import { GatewayAuth, type Principal } from './principal.ts';
import { GatewayRuntime } from './runtime.ts';
import { DEFAULT_LIMITS, type GatewayLimits } from './limits.ts';
import { type Endpoint, serve as serveCall } from './serve.ts';

export { DEFAULT_LIMITS, type GatewayLimits } from './limits.ts';

/** The id after `prefix` in the path (undefined when none), or a 400 when it is not valid percent-encoding. */
function pathId(path: string, prefix: string, param: string): string | undefined {
  if (path.length <= prefix.length) return undefined;
  try {
    return decodeURIComponent(path.slice(prefix.length));
  } catch {
    throw invalidRequest(`The ${param} in the path is not valid percent-encoding`, param);
  }
}

/** The mounted /v1 handler and what must be flushed on shutdown. */
export interface Gateway {
  handle(request: IncomingMessage, response: ServerResponse): void;
  /**
   * Serves a `/v1` request for a principal authenticated elsewhere (the console's session path,
   * `http/console-gateway.ts`), skipping the bearer-token check.
   */
  handleAs(principal: Principal, request: IncomingMessage, response: ServerResponse): void;
  runtime: GatewayRuntime;
  /** API key limits' per-process state, for tests. */
  keyLimiter: KeyLimiter;
  close(): Promise<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: each endpoint's request and result types are its own.
type JsonEndpoint = Endpoint<Record<string, unknown>, any, any>;

const JSON_ENDPOINTS: Record<string, JsonEndpoint> = {
  '/v1/chat/completions': chatCompletions,
  '/v1/embeddings': embeddings,
  '/v1/rerank': rerank,
  '/v1/audio/speech': speech,
  '/v1/responses': responses,
  '/v1/messages': messages,
};

const COUNT_TOKENS = '/v1/messages/count_tokens';

/** Errors on Anthropic's paths come in Anthropic's JSON shape, so its SDKs raise their own classes. */
const errorFormatFor = (path: string) => (path.startsWith('/v1/messages') ? anthropicErrorBody : errorBody);

const STORED_RESPONSE = '/v1/responses/';

/** The OpenAI-compatible endpoint at /v1. */
export function createGateway(core: Core, logger: Logger, limits: GatewayLimits = DEFAULT_LIMITS): Gateway {
  const runtime = new GatewayRuntime(core, logger, limits);
  const auth = new GatewayAuth(core, logger);
  const jsonLimits = {
    maxBytes: limits.maxJsonBytes,
    idleMs: limits.bodyIdleMs,
    totalMs: limits.bodyTimeoutMs,
  };
  const audioLimits = { ...jsonLimits, maxBytes: limits.maxAudioBytes };

  async function serve(
    request: IncomingMessage,
    response: ServerResponse,
    authenticated?: Principal,
  ): Promise<void> {
    const url = request.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const method = request.method ?? 'GET';
    const endpoint = JSON_ENDPOINTS[path];
    const isModels = path === '/v1/models' || path.startsWith('/v1/models/');
    const isTranscription = path === '/v1/audio/transcriptions';
    const isStoredResponse = path.startsWith(STORED_RESPONSE) && path.length > STORED_RESPONSE.length;
    const isCountTokens = path === COUNT_TOKENS;
    if (!endpoint && !isModels && !isTranscription && !isStoredResponse && !isCountTokens) {
      throw new GatewayError(
        404,
        'invalid_request_error',
        'unknown_url',
        `Unknown endpoint: ${method} ${path}`,
      );
    }
    const expected = isModels ? 'GET' : isStoredResponse ? 'GET or DELETE' : 'POST';
    if (method !== expected && !(isStoredResponse && (method === 'GET' || method === 'DELETE'))) {
      throw new GatewayError(
        405,
        'invalid_request_error',
        'method_not_allowed',
        `${path} expects ${expected}`,
      );
    }
    // Anthropic's SDKs send the key as x-api-key (or, for OAuth-style tokens, a bearer token).
    const apiKeyHeader = request.headers['x-api-key'];
    const authorization =
      request.headers.authorization ??
      (typeof apiKeyHeader === 'string' ? `Bearer ${apiKeyHeader}` : undefined);
    const workspaceHeader = request.headers['x-switchboard-workspace'] as string | undefined;
    const principal =
      authenticated ??
      auth.cached(authorization, workspaceHeader) ??
      (await auth.authenticate(authorization, workspaceHeader));
    if (isModels) return models(runtime, principal, pathId(path, '/v1/models/', 'model'), response);
    if (isStoredResponse) {
      const id = pathId(path, STORED_RESPONSE, 'response_id') as string;
      return storedResponse(runtime, principal, method as 'GET' | 'DELETE', id, response);
    }
    if (isTranscription) {
      const body = await readBody(request, audioLimits);
      return serveCall(runtime, principal, transcriptions, { request, body }, response);
    }
    const body = parseJsonObject(await readBody(request, jsonLimits));
    if (isCountTokens) return countTokens(runtime, principal, body, response);
    return serveCall(runtime, principal, endpoint as JsonEndpoint, body, response);
  }

  function handle(request: IncomingMessage, response: ServerResponse, principal?: Principal): void {
    serve(request, response, principal).catch((error: unknown) => {
      if (error instanceof ClientGoneError) {
        // Nobody is left to answer: an ordinary event for a server, not a failure of ours.
        logger.debug('client went away', { path: request.url });
        return;
      }
      const gatewayError = toGatewayError(error);
      if (gatewayError.status >= 500) logger.error('gateway call failed', { path: request.url, error });
      // An unread body must not be taken for the next request: a small one is drained, else the
      // answer says Connection: close (always after a body refused as too large or too slow).
      prepareEarlyAnswer(request, response, error instanceof BodyError);
      sendError(response, gatewayError, errorFormatFor(request.url ?? ''));
    });
  }

  return {
    runtime,
    keyLimiter: auth.limiter,
    handle: (request, response) => handle(request, response),
    handleAs: (principal, request, response) => handle(request, response, principal),
    close: async () => {
      await runtime.close();
      await auth.close();
    },
  };
}
