import type { ServerResponse } from 'node:http';
import type { ChatResult } from '@switchboard/provider-spec';
import { sendJson } from '../call.ts';
import { sendError, toGatewayError } from '../errors.ts';
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

type Json = Record<string, unknown>;

const modelName = (route: Route) => `${route.resolved.provider}/${route.resolved.model}`;

/** POST /v1/messages: Anthropic's Messages API, translated to and from chat completions. */
export const messages: Endpoint<Json, MessagesRequest, ChatResult | BegunStream> = {
  type: 'llm',
  parse: (body) => parseMessagesRequest(body),
  model: (request) => request.model,
  missing: (adapter, request) => missingChat(adapter, request.stream),
  attempt(route, request, credential, signal) {
    const chat = toChatRequest(request, route.resolved.model);
    if (request.stream) chat.stream = true;
    return startChat(route, chat, credential, signal);
  },
  answer(result, _request, route): Answer {
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

/**
 * POST /v1/messages/count_tokens: the model is resolved (an unknown one is a 404) and the prompt
 * counted by estimate, since chat providers have no counting endpoint.
 */
export async function countTokens(
  runtime: GatewayRuntime,
  principal: Principal,
  body: Json,
  response: ServerResponse,
): Promise<void> {
  try {
    const request = parseMessagesRequest(body, true);
    await runtime.route(principal, 'llm', request.model);
    sendJson(response, JSON.stringify({ input_tokens: estimateTokens(request) }));
  } catch (error) {
    sendError(response, toGatewayError(error), anthropicErrorBody);
  }
}
