import {
  BadRequestError,
  type EmbeddingRequest,
  type EmbeddingResponse,
  MalformedResponseError,
} from '@switchboard/provider-spec';
import type { OllamaEmbedResponse } from './ollama-wire.ts';

/** POST /api/embed body. */
export interface OllamaEmbedRequest {
  model: string;
  input: string | string[];
  dimensions?: number;
}

/** Translates a canonical embeddings request; Ollama embeds text only, not token arrays. */
export function toOllamaEmbedRequest(request: EmbeddingRequest): OllamaEmbedRequest {
  const { input } = request;
  const isText =
    typeof input === 'string' || (Array.isArray(input) && input.every((item) => typeof item === 'string'));
  if (!isText) {
    throw new BadRequestError(
      'Ollama: input must be a string or an array of strings (token arrays are not supported)',
      {
        provider: 'ollama',
        field: 'input',
      },
    );
  }
  return {
    model: request.model,
    input: input as string | string[],
    ...(request.dimensions !== undefined ? { dimensions: request.dimensions } : {}),
  };
}

/** Float32 little-endian bytes in base64, as OpenAI's `encoding_format: "base64"` returns them. */
function toBase64(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}

/** Translates Ollama's `{embeddings: number[][]}` into the canonical list. */
export function fromOllamaEmbedResponse(
  response: OllamaEmbedResponse,
  request: EmbeddingRequest,
): EmbeddingResponse {
  if (!response || !Array.isArray(response.embeddings)) {
    throw new MalformedResponseError('Ollama: the embed answer has no embeddings', {
      provider: 'ollama',
      status: 200,
    });
  }
  const base64 = request.encoding_format === 'base64';
  const tokens = response.prompt_eval_count ?? 0;
  return {
    object: 'list',
    data: response.embeddings.map((vector, index) => ({
      object: 'embedding',
      index,
      embedding: base64 ? toBase64(vector) : vector,
    })),
    model: response.model || request.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}
