import {
  BadRequestError,
  type CallContext,
  type EmbeddingRequest,
  type EmbeddingResponse,
  MalformedResponseError,
} from '@switchboard/provider-spec';
import { postJson } from '../shared/bearer-connection.ts';
import type { HttpClient } from '../shared/http.ts';
import { voyageConnection } from './voyage-connection.ts';

/** The body of Voyage's `POST /v1/embeddings`. */
export interface VoyageEmbedBody {
  input: string[];
  model: string;
  input_type?: 'query' | 'document' | null;
  truncation?: boolean;
  output_dimension?: number;
  output_dtype?: string;
  encoding_format?: 'base64';
}

/** Voyage's embeddings answer. */
export interface VoyageEmbedResponse {
  object?: 'list';
  data?: { index: number; embedding: number[] | string }[];
  model?: string;
  usage?: { total_tokens?: number };
}

/**
 * OpenAI's embeddings request as Voyage's. Voyage's `input_type` (`query` or `document`,
 * which adds Voyage's retrieval prompt) and its other options pass through when given;
 * without one Voyage embeds the text as it is.
 */
export function toVoyageEmbedBody(request: EmbeddingRequest): VoyageEmbedBody {
  const input = typeof request.input === 'string' ? [request.input] : request.input;
  if (!input.every((item): item is string => typeof item === 'string')) {
    throw new BadRequestError('Voyage AI: embeddings take text input, not token arrays', {
      provider: 'voyage',
      field: 'input',
    });
  }
  const inputType = request.input_type;
  if (inputType !== undefined && inputType !== null && inputType !== 'query' && inputType !== 'document') {
    throw new BadRequestError('Voyage AI: input_type must be "query" or "document"', {
      provider: 'voyage',
      field: 'input_type',
    });
  }
  return {
    input,
    model: request.model,
    ...(inputType === undefined ? {} : { input_type: inputType }),
    ...(typeof request.truncation === 'boolean' ? { truncation: request.truncation } : {}),
    ...(request.dimensions === undefined ? {} : { output_dimension: request.dimensions }),
    ...(typeof request.output_dtype === 'string' ? { output_dtype: request.output_dtype } : {}),
    // Voyage's base64 is the float32 bytes, like OpenAI's.
    ...(request.encoding_format === 'base64' ? { encoding_format: 'base64' } : {}),
  };
}

/** Voyage's embeddings answer in the canonical shape. */
export function fromVoyageEmbedResponse(
  response: VoyageEmbedResponse,
  request: EmbeddingRequest,
): EmbeddingResponse {
  if (!Array.isArray(response.data)) {
    throw new MalformedResponseError('Voyage AI: the embeddings answer has no data', { provider: 'voyage' });
  }
  const total = response.usage?.total_tokens ?? 0;
  return {
    object: 'list',
    data: response.data.map(({ index, embedding }) => ({ object: 'embedding', index, embedding })),
    model: request.model,
    usage: { prompt_tokens: total, total_tokens: total },
  };
}

/** Embeddings through `POST /v1/embeddings`. */
export async function voyageEmbed(
  client: HttpClient,
  request: EmbeddingRequest,
  context: CallContext,
  notFoundField?: string,
): Promise<EmbeddingResponse> {
  const connection = voyageConnection(context, notFoundField);
  const answer = await postJson<VoyageEmbedResponse>(
    client,
    connection,
    '/embeddings',
    toVoyageEmbedBody(request),
    context.signal,
  );
  return fromVoyageEmbedResponse(answer, request);
}
