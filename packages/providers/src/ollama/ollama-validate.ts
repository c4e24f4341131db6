import {
  BadRequestError,
  isProviderError,
  UnsupportedError,
  type ValidationResult,
  type ValidationTarget,
} from '@switchboard/provider-spec';
import type { OllamaConnection } from './ollama-connection.ts';
import { listTags, modelFromShow, showModel } from './ollama-discovery.ts';
import { blameBaseUrl } from './ollama-errors.ts';

/**
 * Proves the endpoint is an Ollama server that answers (GET /api/tags, which also lists its
 * models); with a target, proves the custom model exists there and has the right type.
 */
export async function validateOllama(
  connection: OllamaConnection,
  target?: ValidationTarget,
): Promise<ValidationResult> {
  if (!target) {
    try {
      return { models: await listTags(connection, 'base_url') };
    } catch (error) {
      throw isProviderError(error) ? blameBaseUrl(error) : error;
    }
  }
  if (target.type !== 'llm' && target.type !== 'text-embedding') {
    throw new UnsupportedError(`Ollama: models of type ${target.type} are not supported`, {
      provider: 'ollama',
      field: 'model',
    });
  }
  let model: ReturnType<typeof modelFromShow>;
  try {
    model = modelFromShow(target.model, await showModel(connection, target.model));
  } catch (error) {
    // A 404 here names the model (field 'model'); anything unreachable is the base URL's fault.
    throw isProviderError(error) ? blameBaseUrl(error) : error;
  }
  if (model.type !== target.type) {
    const kind = model.type === 'llm' ? 'a chat model' : 'an embedding model';
    throw new BadRequestError(`Ollama: ${target.model} is ${kind}, not a ${target.type} model`, {
      provider: 'ollama',
      field: 'model',
    });
  }
  return { models: [model] };
}
