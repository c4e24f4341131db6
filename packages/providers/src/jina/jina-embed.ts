import {
  BadRequestError,
  type CallContext,
  type EmbeddingRequest,
  type EmbeddingResponse,
  MalformedResponseError,
} from '@switchboard/provider-spec';
import { postJson } from '../shared/bearer-connection.ts';
import type { HttpClient } from '../shared/http.ts';
import { jinaConnection } from './jina-connection.ts';

/** The body of Jina's `POST /v1/embeddings`. */
export interface JinaEmbedBody {
  model: string;
  input: string[];
  task?: string;
  dimensions?: number;
  embedding_type?: 'base64';
  normalized?: boolean;
  truncate?: boolean;
  late_chunking?: boolean;
}

/** Jina's embeddings answer (OpenAI-like). */
export interface JinaEmbedResponse {
  model?: string;
  data?: { index: number; embedding: number[] | string }[];
  usage?: { total_tokens?: number; prompt_tokens?: number };
}

// Jina's own options a caller may pass as extra fields of the OpenAI request.
const PASSED_OPTIONS = ['task', 'normalized', 'truncate', 'late_chunking'] as const;

/** OpenAI's embeddings request as Jina's; `task` and Jina's other options pass through when given. */
export function toJinaEmbedBody(request: EmbeddingRequest): JinaEmbedBody {
  const input = typeof request.input === 'string' ? [request.input] : request.input;
  if (!input.every((item): item is string => typeof item === 'string')) {
    throw new BadRequestError('Jina AI: embeddings take text input, not token arrays', {
      provider: 'jina',
      field: 'input',
    });
  }
  const body: JinaEmbedBody = { model: request.model, input };
  for (const option of PASSED_OPTIONS) {
    if (request[option] !== undefined) Object.assign(body, { [option]: request[option] });
  }
  if (request.dimensions !== undefined) body.dimensions = request.dimensions;
  // Jina's base64 is the float32 bytes, like OpenAI's.
  if (request.encoding_format === 'base64') body.embedding_type = 'base64';
  return body;
}

/** Jina's embeddings answer in the canonical shape. */
export function fromJinaEmbedResponse(
  response: JinaEmbedResponse,
  request: EmbeddingRequest,
): EmbeddingResponse {
  if (!Array.isArray(response.data)) {
    throw new MalformedResponseError('Jina AI: the embeddings answer has no data', { provider: 'jina' });
  }
  const total = response.usage?.total_tokens ?? response.usage?.prompt_tokens ?? 0;
  return {
    object: 'list',
    data: response.data.map(({ index, embedding }) => ({ object: 'embedding', index, embedding })),
    model: request.model,
    usage: { prompt_tokens: response.usage?.prompt_tokens ?? total, total_tokens: total },
  };
}

/** Embeddings through `POST /v1/embeddings`. */
export async function jinaEmbed(
  client: HttpClient,
  request: EmbeddingRequest,
  context: CallContext,
  notFoundField?: string,
): Promise<EmbeddingResponse> {
  const connection = jinaConnection(context, notFoundField);
  const answer = await postJson<JinaEmbedResponse>(
    client,
    connection,
    '/embeddings',
    toJinaEmbedBody(request),
    context.signal,
  );
  return fromJinaEmbedResponse(answer, request);
}
