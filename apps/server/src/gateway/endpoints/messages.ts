import type { ServerResponse } from 'node:http';
import type { ChatResult } from '@switchboard/provider-spec';
import { clientGone, sendJson } from '../call.ts';
import { GatewayError, sendError, toGatewayError } from '../errors.ts';
import {
  anthropicErrorBody,
  MessagesStreamTranslator,
  messageResponse,
} from '../messages/messages-output.ts';
import {
  estimateTokens,
  type MessagesRequest,
  parseMessagesRequest,
  toChatRequest,
} from '../messages/messages-request.ts';
import type { Principal } from '../principal.ts';
import type { GatewayRuntime, Route } from '../runtime.ts';
import type { Answer, Endpoint } from '../serve.ts';
import { type BegunStream, missingChat, replay, SSE_HEADERS, startChat, streamTokens } from './chat.ts';
import {
  type AnthropicUsageFields,
  AnthropicUsageTap,
  anthropicHeaders,
  anthropicTokens,
  type Relayed,
  relayAttempt,
  relayedUsage,
  relays,
} from './passthrough.ts';

type Json = Record<string, unknown>;

const modelName = (route: Route) => `${route.resolved.provider}/${route.resolved.model}`;

/** A Messages API call: the parsed request, and the client's body and headers for passthrough. */
interface MessagesCall {
  request: MessagesRequest;
  body: Json;
  headers: Record<string, string>;
  /**
   * Why a translation could not honour the body (`top_k`, server tools), held back until the route
   * is known: Anthropic itself takes them, relayed.
   */
  untranslatable: GatewayError | undefined;
}

/** What only Anthropic's own API can take: refused when translating, relayed as they are. */
const NATIVE_ONLY = ['top_k', 'container', 'mcp_servers'];

/** The body without what only Anthropic takes, for validating the rest. */
function translatable(body: Json): Json {
  const rest: Json = { ...body };
  for (const name of NATIVE_ONLY) delete rest[name];
  if (Array.isArray(body.tools))
    rest.tools = body.tools.filter(
      (tool) => (tool as Json)?.type === undefined || (tool as Json).type === 'custom',
    );
  return rest;
}

/** Parses a body, holding back a refusal of what only Anthropic's own API takes. */
function parseCall(body: Json, headers: Record<string, string>): MessagesCall {
  try {
    return { request: parseMessagesRequest(body), body, headers, untranslatable: undefined };
  } catch (error) {
    if (!(error instanceof GatewayError) || error.code !== 'unsupported_parameter') throw error;
    return { request: parseMessagesRequest(translatable(body)), body, headers, untranslatable: error };
  }
}

const encoder = new TextEncoder();

/**
 * POST /v1/messages: Anthropic's Messages API, passed through to Anthropic (`cache_control`,
 * thinking and the `anthropic-beta` header reach it as they are) and translated to and from chat
 * completions for every other provider.
 */
export const messages: Endpoint<Json, MessagesCall, ChatResult | BegunStream | Relayed> = {
  type: 'llm',
  parse: (body, context) => parseCall(body, anthropicHeaders(context.headers)),
  model: (call) => call.request.model,
  missing: (adapter, call) =>
    adapter.nativeApis?.includes('anthropic-messages')
      ? undefined
      : missingChat(adapter, call.request.stream),
  attempt(route, call, credential, signal) {
    if (relays(route, 'anthropic-messages')) {
      const body = { ...call.body, model: route.resolved.model };
      return relayAttempt(
        route,
        'anthropic-messages',
        body,
        call.headers,
        credential,
        signal,
        call.request.stream,
      );
    }
    if (call.untranslatable) throw call.untranslatable;
    const chat = toChatRequest(call.request, route.resolved.model);
    if (call.request.stream) chat.stream = true;
    return startChat(route, chat, credential, signal);
  },
  answer(result, _call, route): Answer {
    if ('relayed' in result) return relayedAnswer(result);
    if ('iterator' in result) {
      const translator = new MessagesStreamTranslator(modelName(route));
      return {
        kind: 'stream',
        headers: SSE_HEADERS,
        chunks: translator.events(replay(result)),
        usage: () => streamTokens(result),
        failure: (error) => translator.failure(error),
      };
    }
    const usage = result.usage ?? result.completion.usage;
    return {
      kind: 'whole',
      body: JSON.stringify(messageResponse(result.completion, modelName(route), usage)),
      tokensIn: usage?.prompt_tokens ?? 0,
      tokensOut: usage?.completion_tokens ?? 0,
    };
  },
  errorBody: anthropicErrorBody,
};

/** Anthropic's answer as it came, its usage read on the way. */
function relayedAnswer(result: Relayed): Answer {
  if (result.whole) {
    const usage = relayedUsage(result.whole) as AnthropicUsageFields | undefined;
    return { kind: 'whole', body: result.whole, contentType: result.contentType, ...anthropicTokens(usage) };
  }
  const tap = new AnthropicUsageTap(result.streamError);
  return {
    kind: 'stream',
    headers: { ...SSE_HEADERS, 'content-type': result.contentType },
    first: result.first as IteratorResult<Uint8Array>,
    chunks: result.iterator as AsyncIterator<Uint8Array>,
    rewrite: tap.tap.see,
    usage: () => anthropicTokens(tap.usage),
    failed: tap.failure.failed,
    // Anthropic's own way to end a stream that failed.
    failure: (error) => encoder.encode(`event: error\ndata: ${anthropicErrorBody(error)}\n\n`),
  };
}

/**
 * POST /v1/messages/count_tokens: the model is resolved (an unknown one is a 404); Anthropic's own
 * models are counted by Anthropic (relayed as they are, like /v1/messages), a provider with a
 * counting endpoint counts the translated request, and the rest are estimated.
 */
export async function countTokens(
  runtime: GatewayRuntime,
  principal: Principal,
  body: Json,
  response: ServerResponse,
): Promise<void> {
  try {
    let request: MessagesRequest;
    let untranslatable: GatewayError | undefined;
    try {
      request = parseMessagesRequest(body, true);
    } catch (error) {
      // What only Anthropic takes (server tools, top_k) is counted there, refused elsewhere.
      if (!(error instanceof GatewayError) || error.code !== 'unsupported_parameter') throw error;
      request = parseMessagesRequest(translatable(body), true);
      untranslatable = error;
    }
    let route = await runtime.route(principal, 'llm', request.model);
    // A count is a request of the key like any other (and asks the provider with its pinned key).
    if (principal.limits) route = await principal.limits.admit(route, principal.workspaceId);
    if (relays(route, 'anthropic-count-tokens')) {
      const headers = anthropicHeaders(response.req?.headers);
      const signal = clientGone(response);
      const { result } = await runtime.withFailover(principal, route, (credential) =>
        relayAttempt(
          route,
          'anthropic-count-tokens',
          { ...body, model: route.resolved.model },
          headers,
          credential,
          signal,
          false,
        ),
      );
      sendJson(response, result.whole ?? '{}');
      return;
    }
    if (untranslatable) throw untranslatable;
    const count = route.adapter.countTokens?.bind(route.adapter);
    if (count) {
      // A provider with a counting endpoint (Gemini) counts the translated request.
      const chat = toChatRequest(request, route.resolved.model);
      const signal = clientGone(response);
      const { result } = await runtime.withFailover(principal, route, (credential) =>
        count(chat, { credentials: credential.values, signal }),
      );
      sendJson(response, JSON.stringify({ input_tokens: result }));
      return;
    }
    sendJson(response, JSON.stringify({ input_tokens: estimateTokens(request) }));
  } catch (error) {
    sendError(response, toGatewayError(error), anthropicErrorBody);
  }
}
