import {
  type CallContext,
  MalformedResponseError,
  type RerankRequest,
  type RerankResponse,
} from '@switchboard/provider-spec';
import { postJson } from '../shared/bearer-connection.ts';
import type { HttpClient } from '../shared/http.ts';
import { jinaConnection } from './jina-connection.ts';

/** The body of Jina's `POST /v1/rerank`. */
export interface JinaRerankBody {
  model: string;
  query: string;
  documents: (string | { text: string })[];
  top_n?: number;
  return_documents: boolean;
  truncation?: boolean;
}

/** Jina's rerank answer. */
export interface JinaRerankResponse {
  model?: string;
  usage?: { total_tokens?: number; prompt_tokens?: number };
  results?: { index: number; relevance_score: number; document?: string | { text?: string } | null }[];
}

/**
 * The canonical rerank request as Jina's. Jina returns documents unless told otherwise;
 * Switchboard's default is not to (as Cohere, Voyage and Xinference), so it is always sent.
 */
export function toJinaRerankBody(request: RerankRequest): JinaRerankBody {
  return {
    model: request.model,
    query: request.query,
    documents: request.documents,
    ...(request.top_n === undefined ? {} : { top_n: request.top_n }),
    return_documents: request.return_documents ?? false,
    ...(typeof request.truncation === 'boolean' ? { truncation: request.truncation } : {}),
  };
}

/** Jina's rerank answer in the canonical shape. */
export function fromJinaRerankResponse(response: JinaRerankResponse, request: RerankRequest): RerankResponse {
  if (!Array.isArray(response.results)) {
    throw new MalformedResponseError('Jina AI: the rerank answer has no results', { provider: 'jina' });
  }
  const total = response.usage?.total_tokens ?? 0;
  return {
    model: request.model,
    results: response.results.map(({ index, relevance_score, document }) => {
      const text = typeof document === 'string' ? document : document?.text;
      return {
        index,
        relevance_score,
        ...(request.return_documents && text !== undefined ? { document: { text } } : {}),
      };
    }),
    usage: {
      total_tokens: total,
      ...(response.usage?.prompt_tokens === undefined ? {} : { prompt_tokens: response.usage.prompt_tokens }),
    },
  };
}

/** Reranking through `POST /v1/rerank`. */
export async function jinaRerank(
  client: HttpClient,
  request: RerankRequest,
  context: CallContext,
  notFoundField?: string,
): Promise<RerankResponse> {
  const connection = jinaConnection(context, notFoundField);
  const answer = await postJson<JinaRerankResponse>(
    client,
    connection,
    '/rerank',
    toJinaRerankBody(request),
    context.signal,
  );
  return fromJinaRerankResponse(answer, request);
}
