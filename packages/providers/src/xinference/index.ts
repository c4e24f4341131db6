import {
  BadRequestError,
  type CallContext,
  type CredentialValues,
  type ModelInfo,
  ModelNotFoundError,
  type ProviderAdapter,
} from '@switchboard/provider-spec';
import { baseUrl } from '../shared/fields.ts';
import type { HttpSettings } from '../shared/http.ts';
import { bearer, createOpenAIWire, OPERATION_PATHS, type WireOperation } from '../openai-compatible/index.ts';
import { XINFERENCE_DEFAULT_URL, xinferenceManifest } from './xinference-manifest.ts';
import { xinferenceModelInfo } from './xinference-models.ts';

export { xinferenceManifest } from './xinference-manifest.ts';
export { xinferenceModelInfo, xinferenceModelType } from './xinference-models.ts';

/** `{server}/v1/...`; a server URL typed with `/v1` works too. */
export function xinferenceEndpoint(operation: WireOperation, credentials: CredentialValues) {
  const root = baseUrl(credentials, XINFERENCE_DEFAULT_URL).replace(/\/v1$/, '');
  return { url: `${root}/v1${OPERATION_PATHS[operation]}`, headers: bearer(credentials) };
}

/** An unknown UID is a 400 up to Xinference 2.6 and a 404 after: both mean the model is not running. */
function modelNotRunning(error: unknown): unknown {
  if (error instanceof BadRequestError && /model not found/i.test(error.upstreamMessage ?? '')) {
    return new ModelNotFoundError(error.message, {
      provider: 'xinference',
      status: error.status,
      upstreamMessage: error.upstreamMessage,
      field: 'model',
      cause: error,
    });
  }
  return error;
}

function mapped<A extends unknown[], R>(operation: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await operation(...args);
    } catch (error) {
      throw modelNotRunning(error);
    }
  };
}

/** Xinference: the OpenAI wire under `/v1`, rerank at `/v1/rerank`, discovery from `/v1/models` by `model_type`. */
export function createXinferenceAdapter(settings: HttpSettings = {}): ProviderAdapter {
  const wire = createOpenAIWire({ manifest: xinferenceManifest, settings, endpoint: xinferenceEndpoint });

  async function discover(context: CallContext): Promise<ModelInfo[]> {
    const listed = await wire.listModels(context);
    return listed.map(xinferenceModelInfo).filter((model): model is ModelInfo => model !== undefined);
  }

  return {
    manifest: xinferenceManifest,
    async validateCredentials(context, target) {
      const models = await discover(context);
      // Xinference lists every running model, so the list alone proves a custom model.
      if (target) {
        const running = models.find((model) => model.id === target.model);
        if (!running) {
          throw new ModelNotFoundError(`Xinference: no running model has the UID ${target.model}`, {
            provider: 'xinference',
            field: 'model',
          });
        }
        if (running.type !== target.type) {
          throw new BadRequestError(
            `Xinference: ${target.model} is a ${running.type} model, not ${target.type}`,
            {
              provider: 'xinference',
              field: 'model',
            },
          );
        }
      }
      return { models };
    },
    discoverModels: discover,
    chat: mapped(wire.chat),
    chatStream: mapped(wire.chatStream),
    embed: mapped(wire.embed),
    rerank: mapped(wire.rerank),
    transcribe: mapped(wire.transcribe),
    speak: mapped(wire.speak),
  };
}
