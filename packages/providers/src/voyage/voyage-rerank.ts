import {
  type CallContext,
  MalformedResponseError,
  type RerankRequest,
  type RerankResponse,
} from '@switchboard/provider-spec';
import { postJson } from '../shared/bearer-connection.ts';
import type { HttpClient } from '../shared/http.ts';
import { voyageConnection } from './voyage-connection.ts';

/** The body of Voyage's `POST /v1/rerank`. */
export interface VoyageRerankBody {
  query: string;
  documents: string[];
  model: string;
  top_k?: number;
  return_documents?: boolean;
  truncation?: boolean;
}

/** Voyage's rerank answer: results sit in `data`, not `results`. */
export interface VoyageRerankResponse {
  object?: 'list';
  data?: { index: number; relevance_score: number; document?: string }[];
  model?: string;
  usage?: { total_tokens?: number };
}

/** The canonical rerank request as Voyage's (`top_n` is Voyage's `top_k`; documents are strings). */
export function toVoyageRerankBody(request: RerankRequest): VoyageRerankBody {
  return {
    query: request.query,
    documents: request.documents.map((document) => (typeof document === 'string' ? document : document.text)),
    model: request.model,
    ...(request.top_n === undefined ? {} : { top_k: request.top_n }),
    ...(request.return_documents ? { return_documents: true } : {}),
    ...(typeof request.truncation === 'boolean' ? { truncation: request.truncation } : {}),
  };
}

/** Voyage's rerank answer in the canonical shape. */
export function fromVoyageRerankResponse(
  response: VoyageRerankResponse,
  request: RerankRequest,
): RerankResponse {
  if (!Array.isArray(response.data)) {
    throw new MalformedResponseError('Voyage AI: the rerank answer has no data', { provider: 'voyage' });
  }
  return {
    model: request.model,
    results: response.data.map(({ index, relevance_score, document }) => ({
      index,
      relevance_score,
      ...(request.return_documents && typeof document === 'string' ? { document: { text: document } } : {}),
    })),
    usage: { total_tokens: response.usage?.total_tokens ?? 0 },
  };
}

/** Reranking through `POST /v1/rerank`. */
export async function voyageRerank(
  client: HttpClient,
  request: RerankRequest,
  context: CallContext,
  notFoundField?: string,
): Promise<RerankResponse> {
  const connection = voyageConnection(context, notFoundField);
  const answer = await postJson<VoyageRerankResponse>(
    client,
    connection,
    '/rerank',
    toVoyageRerankBody(request),
    context.signal,
  );
  return fromVoyageRerankResponse(answer, request);
}
