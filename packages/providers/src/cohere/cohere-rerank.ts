import {
  type CallContext,
  MalformedResponseError,
  type RerankRequest,
  type RerankResponse,
} from '@switchboard/provider-spec';
import { postJson } from '../shared/bearer-connection.ts';
import type { HttpClient } from '../shared/http.ts';
import { cohereConnection } from './cohere-connection.ts';

/** The body of `POST /v2/rerank`. */
export interface CohereRerankBody {
  model: string;
  query: string;
  documents: string[];
  top_n?: number;
  max_tokens_per_doc?: number;
}

/** Cohere's `/v2/rerank` answer. */
export interface CohereRerankResponse {
  id?: string;
  results?: { index: number; relevance_score: number }[];
  meta?: {
    billed_units?: { search_units?: number; input_tokens?: number };
    tokens?: { input_tokens?: number };
  };
}

const documentText = (document: string | { text: string }) =>
  typeof document === 'string' ? document : document.text;

/** The canonical rerank request as Cohere v2's (strings only: v2 takes no document objects). */
export function toCohereRerankBody(request: RerankRequest): CohereRerankBody {
  return {
    model: request.model,
    query: request.query,
    documents: request.documents.map(documentText),
    ...(request.top_n === undefined ? {} : { top_n: request.top_n }),
    ...(typeof request.max_tokens_per_doc === 'number'
      ? { max_tokens_per_doc: request.max_tokens_per_doc }
      : {}),
  };
}

/**
 * Cohere's rerank answer in the canonical shape. v2 cannot return documents, so they are
 * attached here from the request when asked for. Cohere bills rerank in search units, not
 * tokens: token counts are reported when Cohere gives them, else zero.
 */
export function fromCohereRerankResponse(
  response: CohereRerankResponse,
  request: RerankRequest,
): RerankResponse {
  if (!Array.isArray(response.results)) {
    throw new MalformedResponseError('Cohere: the rerank answer has no results', { provider: 'cohere' });
  }
  const tokens = response.meta?.tokens?.input_tokens ?? response.meta?.billed_units?.input_tokens ?? 0;
  return {
    ...(response.id ? { id: response.id } : {}),
    model: request.model,
    results: response.results.map(({ index, relevance_score }) => {
      const document = request.documents[index];
      return {
        index,
        relevance_score,
        ...(request.return_documents && document !== undefined
          ? { document: { text: documentText(document) } }
          : {}),
      };
    }),
    usage: { total_tokens: tokens },
  };
}

/** Reranking through `POST /v2/rerank`. */
export async function cohereRerank(
  client: HttpClient,
  request: RerankRequest,
  context: CallContext,
): Promise<RerankResponse> {
  const connection = cohereConnection(context);
  const answer = await postJson<CohereRerankResponse>(
    client,
    connection,
    '/v2/rerank',
    toCohereRerankBody(request),
    context.signal,
  );
  return fromCohereRerankResponse(answer, request);
}
