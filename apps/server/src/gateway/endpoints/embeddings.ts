import type { ServerResponse } from 'node:http';
import type { EmbeddingRequest, RerankRequest } from '@switchboard/providers/spec';
import { CallRecord, clientGone, sendJson } from '../call.ts';
import { invalidRequest, sendError } from '../errors.ts';
import type { Principal } from '../principal.ts';
import type { GatewayRuntime } from '../runtime.ts';
import { requestedModel, unsupported } from './shared.ts';

/** POST /v1/embeddings. */
export async function embeddings(
  runtime: GatewayRuntime,
  principal: Principal,
  body: Record<string, unknown>,
  response: ServerResponse,
): Promise<void> {
  const call = new CallRecord(runtime, principal, 'text-embedding');
  try {
    const input = body.input;
    if (typeof input !== 'string' && !(Array.isArray(input) && input.length > 0)) {
      throw invalidRequest('input must be a string or a non-empty array', 'input');
    }
    const route = await runtime.route(principal, 'text-embedding', requestedModel(body));
    call.route = route;
    const { embed } = route.adapter;
    if (!embed) throw unsupported(route, 'embeddings');
    const signal = clientGone(response);
    const upstream = { ...body, model: route.resolved.model } as EmbeddingRequest;
    const done = await runtime.withFailover(principal, route, (credential) =>
      embed.call(route.adapter, upstream, { credentials: credential.values, signal }),
    );
    call.credentialId = done.credentialId;
    call.tokensIn = done.result.usage?.prompt_tokens ?? 0;
    call.firstByte();
    sendJson(response, JSON.stringify(done.result));
    call.finish('ok', 200);
  } catch (error) {
    sendError(response, call.failed(error));
  }
}

/** POST /v1/rerank (Jina/Cohere shape). */
export async function rerank(
  runtime: GatewayRuntime,
  principal: Principal,
  body: Record<string, unknown>,
  response: ServerResponse,
): Promise<void> {
  const call = new CallRecord(runtime, principal, 'rerank');
  try {
    if (typeof body.query !== 'string' || body.query === '')
      throw invalidRequest('query must be a non-empty string', 'query');
    const documents = body.documents;
    if (!Array.isArray(documents) || documents.length === 0) {
      throw invalidRequest('documents must be a non-empty array of strings or { text } objects', 'documents');
    }
    if (body.top_n !== undefined && (!Number.isInteger(body.top_n) || (body.top_n as number) < 1)) {
      throw invalidRequest('top_n must be a positive integer', 'top_n');
    }
    const route = await runtime.route(principal, 'rerank', requestedModel(body));
    call.route = route;
    const { rerank: rerankOperation } = route.adapter;
    if (!rerankOperation) throw unsupported(route, 'rerank');
    const signal = clientGone(response);
    const upstream = { ...body, model: route.resolved.model } as RerankRequest;
    const done = await runtime.withFailover(principal, route, (credential) =>
      rerankOperation.call(route.adapter, upstream, { credentials: credential.values, signal }),
    );
    call.credentialId = done.credentialId;
    call.tokensIn = done.result.usage?.prompt_tokens ?? done.result.usage?.total_tokens ?? 0;
    call.firstByte();
    sendJson(response, JSON.stringify(done.result));
    call.finish('ok', 200);
  } catch (error) {
    sendError(response, call.failed(error));
  }
}
