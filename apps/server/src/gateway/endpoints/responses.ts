import type { ServerResponse } from 'node:http';
import type { ChatResult } from '@switchboard/provider-spec';
import { sendJson } from '../call.ts';
import { type GatewayError, sendError, toGatewayError } from '../errors.ts';
import type { Principal } from '../principal.ts';
import {
  chatOutput,
  itemId,
  outputItems,
  type ResponseState,
  responseObject,
  statusOf,
  toResponsesUsage,
} from '../responses/responses-output.ts';
import {
  type InputItem,
  notFoundError,
  parseResponsesRequest,
  type ResponsesRequest,
  referencedIds,
  toChatRequest,
} from '../responses/responses-request.ts';
import { ResponsesStreamTranslator } from '../responses/responses-stream.ts';
import type { GatewayRuntime, Route } from '../runtime.ts';
import type { Answer, Endpoint, ServeContext, TokenCount } from '../serve.ts';
import { type BegunStream, missingChat, replay, SSE_HEADERS, startChat, streamTokens } from './chat.ts';
import {
  mayReportFailure,
  type Relayed,
  RelayedFailure,
  relayAttempt,
  relayedJson,
  relayedUsage,
  relays,
  SseTap,
} from './passthrough.ts';

type Json = Record<string, unknown>;

/** A Responses API call, validated, with its conversation resolved. */
interface ResponsesCall {
  request: ResponsesRequest;
  /** Earlier turns (from `previous_response_id`) then this request's input, references resolved. */
  conversation: InputItem[];
  id: string;
  createdAt: Date;
  principal: Principal;
  runtime: GatewayRuntime;
}

/** The conversation a request continues and adds to, with `item_reference`s replaced by the items. */
async function resolveConversation(
  runtime: GatewayRuntime,
  principal: Principal,
  request: ResponsesRequest,
): Promise<InputItem[]> {
  const archive = runtime.responses;
  const earlier: InputItem[] = [];
  if (request.previousResponseId !== null) {
    const previous = await archive.find(principal.workspaceId, request.previousResponseId);
    if (!previous) throw notFoundError('Response', request.previousResponseId, 'previous_response_id');
    earlier.push(...(previous.inputItems as InputItem[]), ...((previous.body.output ?? []) as InputItem[]));
  }
  const ids = referencedIds(request.input);
  // Nothing to resolve (the common case): the input is the conversation.
  if (earlier.length === 0 && ids.length === 0) return request.input;
  const found = new Map<string, InputItem>();
  for (const id of ids) {
    const item = await archive.item(principal.workspaceId, id);
    if (!item) throw notFoundError('Item', id, 'input');
    found.set(id, item as InputItem);
  }
  const current = request.input.map((item) =>
    item.type === 'item_reference' ? (found.get(item.id as string) as InputItem) : item,
  );
  return [...earlier, ...current];
}

function describe(call: ResponsesCall, route: Route, state: ResponseState): Json {
  const model = `${route.resolved.provider}/${route.resolved.model}`;
  return responseObject(call.id, Math.floor(call.createdAt.getTime() / 1000), model, call.request, state);
}

/** Keeps a finished response for later turns, unless the client said `store: false`. */
function keep(call: ResponsesCall, response: Json, output: Json[]): void {
  if (!call.request.store) return;
  call.runtime.responses.save({
    workspaceId: call.principal.workspaceId,
    apiKeyId: call.principal.apiKeyId,
    userId: call.principal.userId,
    id: call.id,
    body: response,
    inputItems: call.conversation,
    outputItems: output.map((item) => ({ id: item.id as string, item })),
    createdAt: call.createdAt,
  });
}

/**
 * Keeps a relayed response (the provider's own, with its ids) for later turns, as `keep` does a
 * translated one.
 */
function keepRelayed(call: ResponsesCall, response: Json): void {
  if (!call.request.store || typeof response.id !== 'string') return;
  const output = Array.isArray(response.output) ? (response.output as Json[]) : [];
  call.runtime.responses.save({
    workspaceId: call.principal.workspaceId,
    apiKeyId: call.principal.apiKeyId,
    userId: call.principal.userId,
    id: response.id,
    body: response,
    inputItems: call.conversation,
    outputItems: output
      .filter((item) => typeof item.id === 'string')
      .map((item) => ({ id: item.id as string, item })),
    createdAt: call.createdAt,
  });
}

/** A Responses API usage object, as far as the usage record reads it. */
interface ResponsesUsage {
  input_tokens?: number;
  output_tokens?: number;
}

/** Tokens of a Responses API usage object. */
function responsesTokens(usage: ResponsesUsage | undefined): TokenCount {
  return { tokensIn: usage?.input_tokens ?? 0, tokensOut: usage?.output_tokens ?? 0 };
}

/**
 * The body relayed to a provider that speaks the Responses API: the client's, with the provider's
 * model id and the conversation resolved here (earlier turns and `item_reference`s live in this
 * gateway's archive, which the provider does not know).
 */
function relayedBody(call: ResponsesCall, route: Route): Json {
  const { body } = call.request;
  // One copy of the client's body when it continues no earlier response (the common case).
  if (!('previous_response_id' in body))
    return { ...body, model: route.resolved.model, input: call.conversation };
  const { previous_response_id: _previous, ...rest } = body;
  return { ...rest, model: route.resolved.model, input: call.conversation };
}

/** The provider's own answer, unchanged; usage read and the response kept on the way. */
function relayedAnswer(result: Relayed, call: ResponsesCall): Answer {
  if (result.whole) {
    let usage: unknown;
    if (call.request.store) {
      // Kept for later turns: the whole response is needed.
      const response = relayedJson(result.whole);
      if (response) keepRelayed(call, response);
      usage = response?.usage;
    } else usage = relayedUsage(result.whole);
    return {
      kind: 'whole',
      body: result.whole,
      contentType: result.contentType,
      ...responsesTokens(usage as ResponsesUsage | undefined),
    };
  }
  let finished: Json | undefined;
  const failure = new RelayedFailure(result.streamError);
  const tap = new SseTap(
    (line) =>
      line.includes('"type":"response.completed"') ||
      line.includes('"type":"response.incomplete"') ||
      mayReportFailure(line),
    (json) => {
      try {
        const event = JSON.parse(json) as { type?: string; response?: Json };
        if (event.type !== 'response.completed' && event.type !== 'response.incomplete') {
          failure.see(event);
          return;
        }
        finished = event.response;
        if (finished) keepRelayed(call, finished);
      } catch {
        // The client gets the bytes as they came; nothing to keep.
      }
    },
  );
  return {
    kind: 'stream',
    headers: { ...SSE_HEADERS, 'content-type': result.contentType },
    first: result.first as IteratorResult<Uint8Array>,
    chunks: result.iterator as AsyncIterator<Uint8Array>,
    rewrite: tap.see,
    usage: () => responsesTokens(finished?.usage as ResponsesUsage | undefined),
    failed: failure.failed,
    failure: (error) => encoder.encode(`event: error\ndata: ${errorEvent(error)}\n\n`),
  };
}

const encoder = new TextEncoder();

/** The Responses API's `error` event. */
const errorEvent = (error: GatewayError) =>
  JSON.stringify({ type: 'error', code: error.code, message: error.message, param: error.param });

/**
 * POST /v1/responses: the OpenAI Responses API, passed through to providers that speak it (OpenAI,
 * Azure OpenAI) and translated to and from chat completions for every other.
 */
export const responses: Endpoint<Json, ResponsesCall, ChatResult | BegunStream | Relayed> = {
  type: 'llm',
  async parse(body, { runtime, principal }: ServeContext) {
    const request = parseResponsesRequest(body);
    return {
      request,
      conversation: await resolveConversation(runtime, principal, request),
      id: itemId('resp'),
      createdAt: new Date(),
      principal,
      runtime,
    };
  },
  model: (call) => call.request.model,
  missing: (adapter, call) =>
    adapter.nativeApis?.includes('openai-responses') ? undefined : missingChat(adapter, call.request.stream),
  attempt(route, call, credential, signal) {
    if (relays(route, 'openai-responses')) {
      const body = relayedBody(call, route);
      return relayAttempt(route, 'openai-responses', body, {}, credential, signal, call.request.stream);
    }
    const chat = toChatRequest(call.request, call.conversation, route.resolved.model);
    if (call.request.stream) chat.stream = true;
    return startChat(route, chat, credential, signal);
  },
  answer(result, call, route): Answer {
    if ('relayed' in result) return relayedAnswer(result, call);
    if ('iterator' in result) {
      const translator = new ResponsesStreamTranslator(
        (state) => describe(call, route, state),
        ({ response, output }) => keep(call, response, output),
      );
      const chunks = translator.events(replay(result));
      return {
        kind: 'stream',
        headers: SSE_HEADERS,
        chunks,
        usage: () => streamTokens(result),
        failure: (error) => translator.failure(error),
      };
    }
    const output = chatOutput(result.completion);
    const usage = result.usage ?? result.completion.usage;
    const items = outputItems(output, {});
    const response = describe(call, route, {
      ...statusOf(output.finishReason),
      output: items,
      usage: toResponsesUsage(usage),
    });
    keep(call, response, items);
    return {
      kind: 'whole',
      body: JSON.stringify(response),
      tokensIn: usage?.prompt_tokens ?? 0,
      tokensOut: usage?.completion_tokens ?? 0,
    };
  },
};

/** GET and DELETE /v1/responses/{id}: a stored response of the workspace. */
export async function storedResponse(
  runtime: GatewayRuntime,
  principal: Principal,
  method: 'GET' | 'DELETE',
  id: string,
  response: ServerResponse,
): Promise<void> {
  try {
    if (method === 'DELETE') {
      if (!(await runtime.responses.delete(principal.workspaceId, id)))
        throw notFoundError('Response', id, null);
      sendJson(response, JSON.stringify({ id, object: 'response.deleted', deleted: true }));
      return;
    }
    const stored = await runtime.responses.find(principal.workspaceId, id);
    if (!stored) throw notFoundError('Response', id, null);
    sendJson(response, JSON.stringify(stored.body));
  } catch (error) {
    sendError(response, toGatewayError(error));
  }
}
