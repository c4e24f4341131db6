import {
  BadRequestError,
  type CallContext,
  type CredentialValues,
  type NativeRequest,
  ModelNotFoundError,
  type ProviderAdapter,
  ProviderError,
} from '@switchboard/provider-spec';
import { baseUrl, stringValue } from '../shared/fields.ts';
import type { HttpSettings } from '../shared/http.ts';
import {
  createOpenAIWire,
  OPERATION_PATHS,
  type WireOperation,
  withField,
} from '../openai-compatible/index.ts';
import { AZURE_DEFAULT_API_VERSION, azureOpenAIManifest } from './azure-openai-manifest.ts';

export { azureOpenAIManifest } from './azure-openai-manifest.ts';

const apiVersion = (credentials: CredentialValues) =>
  stringValue(credentials, 'api_version') ?? AZURE_DEFAULT_API_VERSION;

/** `{endpoint}/openai/deployments/{deployment}/{operation}?api-version=...`, keyed with `api-key`. */
export function azureEndpoint(
  operation: WireOperation,
  credentials: CredentialValues,
  model: string | undefined,
) {
  const endpoint = baseUrl(credentials, '').replace(/\/openai$/, '');
  const deployment = stringValue(credentials, 'deployment_name') ?? model ?? '';
  const key = stringValue(credentials, 'api_key');
  // The Responses API lives on the v1 API, where the body's model names the deployment.
  if (operation === 'responses')
    return {
      url: `${endpoint}/openai/v1/responses`,
      headers: key ? { 'api-key': key } : ({} as Record<string, string>),
    };
  return {
    url: `${endpoint}/openai/deployments/${encodeURIComponent(deployment)}${OPERATION_PATHS[operation]}?api-version=${encodeURIComponent(apiVersion(credentials))}`,
    headers: key ? { 'api-key': key } : ({} as Record<string, string>),
  };
}

/** Names the form field at fault: a missing deployment, the endpoint, or the api-version. */
function blameField(error: unknown): unknown {
  if (error instanceof ModelNotFoundError) {
    return withField(error, /deployment/i.test(error.upstreamMessage ?? '') ? 'deployment_name' : 'base_url');
  }
  if (error instanceof BadRequestError && /api[- ]?version/i.test(error.upstreamMessage ?? '')) {
    return withField(error, 'api_version');
  }
  return error;
}

function blaming<A extends unknown[], R>(operation: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await operation(...args);
    } catch (error) {
      throw blameField(error);
    }
  };
}

/**
 * Azure OpenAI: the OpenAI wire on deployment URLs. There is no key-scoped model list on
 * the GA data plane, so validation makes the smallest real call to the deployment.
 */
export function createAzureOpenAIAdapter(settings: HttpSettings = {}): ProviderAdapter {
  const wire = createOpenAIWire({
    manifest: azureOpenAIManifest,
    settings,
    endpoint: azureEndpoint,
    // max_completion_tokens arrived in 2024-09-01-preview; older versions know only max_tokens.
    probeLimitField: (credentials) =>
      apiVersion(credentials) >= '2024-09-01' ? 'max_completion_tokens' : 'max_tokens',
  });
  return {
    manifest: azureOpenAIManifest,
    async validateCredentials(context: CallContext, target) {
      const model = target?.model ?? stringValue(context.credentials, 'deployment_name');
      if (!model) {
        throw new ProviderError('bad_request', 'Azure OpenAI: a deployment name is required', {
          provider: 'azure-openai',
          field: 'deployment_name',
        });
      }
      try {
        await wire.probeModel({ model, type: target?.type ?? 'llm' }, context);
      } catch (error) {
        throw blameField(error);
      }
      return {};
    },
    nativeApis: ['openai-responses'],
    // The body's model is the deployment on Azure's v1 API.
    relay: blaming((request: NativeRequest, context: CallContext) =>
      wire.relay(
        {
          ...request,
          body: {
            ...request.body,
            model: stringValue(context.credentials, 'deployment_name') ?? request.body.model,
          },
        },
        context,
      ),
    ),
    chat: blaming(wire.chat),
    chatStream: blaming(wire.chatStream),
    embed: blaming(wire.embed),
    transcribe: blaming(wire.transcribe),
    speak: blaming(wire.speak),
  };
}
