import {
  BadRequestError,
  type EmbeddingRequest,
  type EmbeddingResponse,
  MalformedResponseError,
} from '@switchboard/provider-spec';

/** Most requests one `:batchEmbedContents` call accepts. */
export const GEMINI_EMBED_BATCH_LIMIT = 100;

/** `:batchEmbedContents` body: one request per input, each naming its model. */
export interface GeminiBatchEmbedRequest {
  requests: { model: string; content: { parts: { text: string }[] }; outputDimensionality?: number }[];
}

/** `:batchEmbedContents` answer, in input order. */
export interface GeminiBatchEmbedResponse {
  embeddings?: { values?: number[] }[];
}

/** The batch body for a canonical embeddings request; Gemini embeds text only, never token ids. */
export function toBatchEmbedRequest(request: EmbeddingRequest): GeminiBatchEmbedRequest {
  const inputs = typeof request.input === 'string' ? [request.input] : request.input;
  if (inputs.length === 0 || !inputs.every((input): input is string => typeof input === 'string')) {
    throw new BadRequestError('Gemini: input must be a string or a non-empty array of strings', {
      provider: 'gemini',
      field: 'input',
    });
  }
  const model = `models/${request.model}`;
  return {
    requests: inputs.map((text) => ({
      model,
      content: { parts: [{ text }] },
      ...(request.dimensions === undefined ? {} : { outputDimensionality: request.dimensions }),
    })),
  };
}

function base64Floats(values: number[]): string {
  const floats = Float32Array.from(values);
  return Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength).toString('base64');
}

/** The canonical embeddings answer. Gemini reports no token counts for embeddings, so usage is zero. */
export function toEmbeddingResponse(
  response: GeminiBatchEmbedResponse,
  request: EmbeddingRequest,
  expected: number,
): EmbeddingResponse {
  const embeddings = response.embeddings;
  if (!Array.isArray(embeddings) || embeddings.length !== expected) {
    throw new MalformedResponseError('Gemini: the embeddings do not match the inputs', {
      provider: 'gemini',
    });
  }
  return {
    object: 'list',
    data: embeddings.map((embedding, index) => {
      const values = embedding.values ?? [];
      return {
        object: 'embedding',
        index,
        embedding: request.encoding_format === 'base64' ? base64Floats(values) : values,
      };
    }),
    model: request.model,
    usage: { prompt_tokens: 0, total_tokens: 0 },
  };
}
