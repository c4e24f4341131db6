import {
  isProviderError,
  MalformedResponseError,
  type ModelFeature,
  type ModelInfo,
  type ModelType,
} from '@switchboard/provider-spec';
import type { OllamaConnection } from './ollama-connection.ts';
import type { OllamaModelDetails, OllamaShowResponse, OllamaTagsResponse } from './ollama-wire.ts';

// Families of BERT-style encoders: the only hint of an embedding model on Ollama versions
// that do not report capabilities yet.
const EMBEDDING_FAMILIES = /bert|minilm|nomic|e5|bge|gte|embed/i;

/** The model type from Ollama's capabilities, or from the model family when there are none. */
export function modelTypeOf(
  capabilities: string[] | undefined,
  details: OllamaModelDetails | undefined,
): ModelType {
  if (capabilities?.length) {
    return capabilities.includes('embedding') && !capabilities.includes('completion')
      ? 'text-embedding'
      : 'llm';
  }
  const families = [details?.family, ...(details?.families ?? [])].filter(Boolean).join(' ');
  return EMBEDDING_FAMILIES.test(families) ? 'text-embedding' : 'llm';
}

/** Features of a chat model; every Ollama chat model streams and honours `format`. */
function featuresOf(capabilities: string[]): ModelFeature[] {
  const features: ModelFeature[] = ['streaming', 'structured-output'];
  if (capabilities.includes('tools')) features.push('tool-call');
  if (capabilities.includes('vision')) features.push('vision');
  if (capabilities.includes('thinking')) features.push('reasoning');
  return features;
}

/** `model_info["<architecture>.<key>"]` as a positive number. */
function architectureNumber(modelInfo: Record<string, unknown> | undefined, key: string): number | undefined {
  const architecture = modelInfo?.['general.architecture'];
  if (typeof architecture !== 'string') return undefined;
  const value = modelInfo?.[`${architecture}.${key}`];
  return typeof value === 'number' && value > 0 ? value : undefined;
}

/** One model as `/api/show` describes it. */
export function modelFromShow(id: string, show: OllamaShowResponse): ModelInfo {
  const type = modelTypeOf(show.capabilities, show.details);
  const contextSize = architectureNumber(show.model_info, 'context_length');
  const model: ModelInfo = { id, type, ...(contextSize ? { contextSize } : {}) };
  if (type === 'llm') model.features = featuresOf(show.capabilities ?? []);
  else {
    const dimensions = architectureNumber(show.model_info, 'embedding_length');
    if (dimensions) model.dimensions = dimensions;
  }
  return model;
}

/** Model names from `/api/tags`, with what the listing alone says of each. */
export async function listTags(connection: OllamaConnection, notFoundField?: string): Promise<ModelInfo[]> {
  const response = await connection.send('GET', '/api/tags', undefined, notFoundField);
  const tags = await response.json<OllamaTagsResponse>();
  if (!tags || typeof tags !== 'object' || !Array.isArray(tags.models)) {
    throw new MalformedResponseError('Ollama: /api/tags did not list models; is this an Ollama server?', {
      provider: 'ollama',
      status: response.status,
    });
  }
  const models: ModelInfo[] = [];
  for (const entry of tags.models) {
    const id = entry.model || entry.name;
    if (id) models.push({ id, type: modelTypeOf(entry.capabilities, entry.details) });
  }
  return models;
}

/** POST /api/show for one model. */
export async function showModel(connection: OllamaConnection, model: string): Promise<OllamaShowResponse> {
  const response = await connection.send('POST', '/api/show', { model });
  const show = await response.json<OllamaShowResponse>();
  if (!show || typeof show !== 'object') {
    throw new MalformedResponseError('Ollama: /api/show answered something other than an object', {
      provider: 'ollama',
      status: response.status,
    });
  }
  return show;
}

// A few at once: /api/show reads model files from disk, and a server may hold hundreds of models.
const SHOW_CONCURRENCY = 4;

/** Lists the server's models, then asks `/api/show` for each one's type, context size and capabilities. */
export async function discoverOllamaModels(connection: OllamaConnection): Promise<ModelInfo[]> {
  const listed = await listTags(connection);
  const described: (ModelInfo | undefined)[] = new Array(listed.length);
  let next = 0;
  const worker = async () => {
    while (next < listed.length) {
      const index = next++;
      const id = listed[index]!.id;
      try {
        described[index] = modelFromShow(id, await showModel(connection, id));
      } catch (error) {
        // Removed between the listing and the show: it is simply no longer there.
        if (isProviderError(error) && error.code === 'model_not_found') continue;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(SHOW_CONCURRENCY, listed.length) }, worker));
  return described.filter((model): model is ModelInfo => model !== undefined);
}
