import {
  BadRequestError,
  type CallContext,
  type EmbeddingRequest,
  type EmbeddingResponse,
  MalformedResponseError,
} from '@switchboard/provider-spec';
import { postJson } from '../shared/bearer-connection.ts';
import type { HttpClient } from '../shared/http.ts';
import { cohereConnection } from './cohere-connection.ts';

/** The body of `POST /v2/embed` for text inputs. */
export interface CohereEmbedBody {
  model: string;
  input_type: string;
  texts: string[];
  embedding_types: ['float'];
  output_dimension?: number;
  truncate?: string;
}

/** Cohere's `/v2/embed` answer, as far as this adapter reads it. */
export interface CohereEmbedResponse {
  id?: string;
  embeddings?: { float?: number[][] };
  meta?: { billed_units?: { input_tokens?: number } };
}

/**
 * OpenAI's embeddings request as Cohere's. `input_type` (Cohere's own, required for v3+
 * models) may be passed as an extra field; documents are the common case, so it is the default.
 */
export function toCohereEmbedBody(request: EmbeddingRequest): CohereEmbedBody {
  const input = typeof request.input === 'string' ? [request.input] : request.input;
  if (!input.every((item): item is string => typeof item === 'string')) {
    throw new BadRequestError('Cohere: embeddings take text input, not token arrays', {
      provider: 'cohere',
      field: 'input',
    });
  }
  return {
    model: request.model,
    input_type: typeof request.input_type === 'string' ? request.input_type : 'search_document',
    texts: input,
    embedding_types: ['float'],
    ...(request.dimensions === undefined ? {} : { output_dimension: request.dimensions }),
    ...(typeof request.truncate === 'string' ? { truncate: request.truncate } : {}),
  };
}

/** OpenAI's `base64` encoding: the little-endian float32 bytes of the vector. */
export function floatsToBase64(vector: number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  for (const [index, value] of vector.entries()) bytes.writeFloatLE(value, index * 4);
  return bytes.toString('base64');
}

/** Cohere's embed answer as OpenAI's. */
export function fromCohereEmbedResponse(
  response: CohereEmbedResponse,
  request: EmbeddingRequest,
): EmbeddingResponse {
  const vectors = response.embeddings?.float;
  if (!Array.isArray(vectors)) {
    throw new MalformedResponseError('Cohere: the embed answer has no float embeddings', {
      provider: 'cohere',
    });
  }
  const tokens = response.meta?.billed_units?.input_tokens ?? 0;
  return {
    object: 'list',
    data: vectors.map((vector, index) => ({
      object: 'embedding',
      index,
      embedding: request.encoding_format === 'base64' ? floatsToBase64(vector) : vector,
    })),
    model: request.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

/** Embeddings through `POST /v2/embed`. */
export async function cohereEmbed(
  client: HttpClient,
  request: EmbeddingRequest,
  context: CallContext,
): Promise<EmbeddingResponse> {
  const connection = cohereConnection(context);
  const answer = await postJson<CohereEmbedResponse>(
    client,
    connection,
    '/v2/embed',
    toCohereEmbedBody(request),
    context.signal,
  );
  return fromCohereEmbedResponse(answer, request);
}
