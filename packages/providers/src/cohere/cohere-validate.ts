import {
  BadRequestError,
  type CallContext,
  MalformedResponseError,
  type ModelInfo,
  type ModelType,
  type ValidationResult,
  type ValidationTarget,
} from '@switchboard/provider-spec';
import type { HttpClient } from '../shared/http.ts';
import { cohereConnection } from './cohere-connection.ts';

/** One model of `GET /v1/models`. */
export interface CohereModel {
  name: string;
  endpoints?: string[];
  context_length?: number;
  is_deprecated?: boolean;
}

// Cohere endpoints a model serves, to Switchboard's model types; earlier entries win.
const ENDPOINT_TYPES: [string, ModelType][] = [
  ['chat', 'llm'],
  ['embed', 'text-embedding'],
  ['rerank', 'rerank'],
];

/** A listed model as Switchboard's, or undefined when it serves none of the supported endpoints. */
export function fromCohereModel(model: CohereModel): ModelInfo | undefined {
  const type = ENDPOINT_TYPES.find(([endpoint]) => model.endpoints?.includes(endpoint))?.[1];
  if (!type) return undefined;
  return { id: model.name, type, ...(model.context_length ? { contextSize: model.context_length } : {}) };
}

/**
 * Proves the key by listing the models it may use (`GET /v1/models`, free and unmetered),
 * or, for a custom model, by reading that model (`GET /v1/models/{name}`).
 */
export async function cohereValidate(
  client: HttpClient,
  context: CallContext,
  target?: ValidationTarget,
): Promise<ValidationResult> {
  const connection = cohereConnection(context, target ? 'model' : 'base_url');
  const url = target
    ? `${connection.baseUrl}/v1/models/${encodeURIComponent(target.model)}`
    : `${connection.baseUrl}/v1/models?page_size=1000`;
  const response = await client.send(
    {
      method: 'GET',
      url,
      headers: connection.headers,
      signal: context.signal,
      proxyUrl: connection.proxyUrl,
    },
    connection.errorContext,
  );
  if (target) {
    const model = await response.json<CohereModel>();
    const info = typeof model?.name === 'string' ? fromCohereModel(model) : undefined;
    const served = ENDPOINT_TYPES.some(
      ([endpoint, type]) => type === target.type && model.endpoints?.includes(endpoint),
    );
    if (!info || !served) {
      throw new BadRequestError(`Cohere: model "${target.model}" does not serve ${target.type} requests`, {
        provider: 'cohere',
        field: 'model',
      });
    }
    return { models: [{ ...info, type: target.type }] };
  }
  const body = await response.json<{ models?: CohereModel[] }>();
  if (!Array.isArray(body?.models)) {
    throw new MalformedResponseError('Cohere: the model list has no models', {
      provider: 'cohere',
      field: 'base_url',
    });
  }
  const models = body.models
    .filter((model) => !model.is_deprecated)
    .map(fromCohereModel)
    .filter((model): model is ModelInfo => model !== undefined);
  return { models };
}
