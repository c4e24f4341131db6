import type {
  EmbeddingRequest,
  EmbeddingResponse,
  RerankRequest,
  RerankResponse,
} from '@switchboard/provider-spec';
import { invalidRequest } from '../errors.ts';
import type { Endpoint } from '../serve.ts';
import { requestedModel } from './shared.ts';

type Body = Record<string, unknown>;

/** POST /v1/embeddings. */
export const embeddings: Endpoint<Body, EmbeddingRequest, EmbeddingResponse> = {
  type: 'text-embedding',
  parse(body) {
    const input = body.input;
    if (typeof input !== 'string' && !(Array.isArray(input) && input.length > 0)) {
      throw invalidRequest('input must be a string or a non-empty array', 'input');
    }
    return body as unknown as EmbeddingRequest;
  },
  model: (request) => requestedModel(request as unknown as Body),
  missing: (adapter) => (adapter.embed ? undefined : 'embeddings'),
  attempt(route, request, credential, signal) {
    const { adapter } = route;
    const upstream = { ...request, model: route.resolved.model };
    return (adapter.embed as NonNullable<typeof adapter.embed>).call(adapter, upstream, {
      credentials: credential.values,
      signal,
    });
  },
  answer: (result) => ({
    kind: 'whole',
    body: JSON.stringify(result),
    tokensIn: result.usage?.prompt_tokens ?? 0,
    tokensOut: 0,
  }),
};

/** POST /v1/rerank (Jina/Cohere shape). */
export const rerank: Endpoint<Body, RerankRequest, RerankResponse> = {
  type: 'rerank',
  parse(body) {
    if (typeof body.query !== 'string' || body.query === '')
      throw invalidRequest('query must be a non-empty string', 'query');
    const documents = body.documents;
    if (!Array.isArray(documents) || documents.length === 0) {
      throw invalidRequest('documents must be a non-empty array of strings or { text } objects', 'documents');
    }
    if (body.top_n !== undefined && (!Number.isInteger(body.top_n) || (body.top_n as number) < 1)) {
      throw invalidRequest('top_n must be a positive integer', 'top_n');
    }
    return body as unknown as RerankRequest;
  },
  model: (request) => requestedModel(request as unknown as Body),
  missing: (adapter) => (adapter.rerank ? undefined : 'rerank'),
  attempt(route, request, credential, signal) {
    const { adapter } = route;
    const upstream = { ...request, model: route.resolved.model };
    return (adapter.rerank as NonNullable<typeof adapter.rerank>).call(adapter, upstream, {
      credentials: credential.values,
      signal,
    });
  },
  answer: (result) => ({
    kind: 'whole',
    body: JSON.stringify(result),
    tokensIn: result.usage?.prompt_tokens ?? result.usage?.total_tokens ?? 0,
    tokensOut: 0,
  }),
};
