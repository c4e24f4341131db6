import {
  type CallContext,
  InvalidCredentialsError,
  MalformedResponseError,
  type ModelInfo,
  type ModelType,
  type ProviderAdapter,
  type ValidationTarget,
} from '@switchboard/provider-spec';
import { baseUrl, stringValue } from '../shared/fields.ts';
import { createHttpClient, type HttpResponse, type HttpSettings } from '../shared/http.ts';
import { secretValues } from '../shared/redact.ts';
import type { ErrorContext } from '../shared/upstream-errors.ts';
import { type GeminiResponse, toChatCompletion } from './gemini-chat.ts';
import {
  GEMINI_EMBED_BATCH_LIMIT,
  type GeminiBatchEmbedResponse,
  toBatchEmbedRequest,
  toEmbeddingResponse,
} from './gemini-embed.ts';
import { type GeminiErrorDetails, readGeminiErrorBody, refineGeminiError } from './gemini-errors.ts';
import { GEMINI_DEFAULT_BASE_URL, geminiManifest } from './gemini-manifest.ts';
import { toGeminiRequest } from './gemini-request.ts';
import { GEMINI_VOICES, pcmToWav, speechAudio, toSpeechRequest } from './gemini-speech.ts';
import { translateGeminiStream } from './gemini-stream.ts';
import { geminiChatParameters } from './gemini-parameters.ts';

export { geminiManifest } from './gemini-manifest.ts';

/** One entry of `GET /v1beta/models`. */
interface GeminiModelEntry {
  name: string;
  displayName?: string;
  inputTokenLimit?: number;
  outputTokenLimit?: number;
  supportedGenerationMethods?: string[];
}

const FORMS = [geminiManifest.providerCredentialForm, geminiManifest.modelCredentialForm];

function toModelInfo(entry: GeminiModelEntry): ModelInfo | undefined {
  const id = entry.name.startsWith('models/') ? entry.name.slice(7) : entry.name;
  const methods = entry.supportedGenerationMethods ?? [];
  let type: ModelType;
  // TTS models answer generateContent too; only their name tells them apart.
  if (methods.includes('generateContent')) type = id.endsWith('-tts') || id.includes('-tts-') ? 'tts' : 'llm';
  else if (methods.includes('embedContent') || methods.includes('batchEmbedContents'))
    type = 'text-embedding';
  else return undefined;
  const known = geminiManifest.models.find((model) => model.id === id);
  return {
    id,
    type,
    ...(entry.displayName ? { label: entry.displayName } : {}),
    ...(entry.inputTokenLimit ? { contextSize: entry.inputTokenLimit } : {}),
    ...(type === 'llm' && entry.outputTokenLimit ? { maxOutputTokens: entry.outputTokenLimit } : {}),
    ...(known?.features ? { features: known.features } : {}),
    ...(known?.dimensions ? { dimensions: known.dimensions } : {}),
    ...(type === 'tts' ? { voices: GEMINI_VOICES } : {}),
    ...(known?.pricing ? { pricing: known.pricing } : {}),
  };
}

interface SendOptions {
  method: 'GET' | 'POST';
  /** Path and query after the base URL; the key never goes here, so it cannot leak through a URL. */
  path: string;
  body?: unknown;
  notFoundField?: string;
}

/** The Gemini adapter: generateContent chat (streaming included), batch embeddings, speech and key validation. */
export function createGeminiAdapter(settings: HttpSettings = {}): ProviderAdapter {
  const send = async (
    context: CallContext,
    options: SendOptions,
  ): Promise<{ response: HttpResponse; errorContext: ErrorContext }> => {
    const { credentials } = context;
    const errorContext: ErrorContext = {
      provider: 'gemini',
      label: 'Gemini',
      secrets: secretValues(FORMS, credentials),
      ...(options.notFoundField ? { notFoundField: options.notFoundField } : {}),
    };
    const apiKey = stringValue(credentials, 'api_key');
    if (!apiKey) throw new InvalidCredentialsError('Gemini: no API key is set', { provider: 'gemini' });
    // A client per call is only an object; it lets this call keep the parts of the error body
    // (retryDelay, ErrorInfo.reason) that the shared status mapping does not carry.
    let details: GeminiErrorDetails | undefined;
    const client = createHttpClient(settings, (text) => {
      details = readGeminiErrorBody(text);
      return details.info;
    });
    try {
      const response = await client.send(
        {
          method: options.method,
          url: `${baseUrl(credentials, GEMINI_DEFAULT_BASE_URL)}${options.path}`,
          headers: { 'x-goog-api-key': apiKey },
          body: options.body,
          signal: context.signal,
          proxyUrl: stringValue(credentials, 'proxy_url'),
        },
        errorContext,
      );
      return { response, errorContext };
    } catch (error) {
      throw refineGeminiError(error, details);
    }
  };
  const modelPath = (model: string, method: string) =>
    `/v1beta/models/${encodeURIComponent(model)}:${method}`;

  return {
    manifest: geminiManifest,
    chatParameters: geminiChatParameters,

    async validateCredentials(context, target?: ValidationTarget) {
      if (target) {
        const { response } = await send(context, {
          method: 'GET',
          path: `/v1beta/models/${encodeURIComponent(target.model)}`,
        });
        const model = toModelInfo(await response.json<GeminiModelEntry>());
        return { models: model ? [model] : [] };
      }
      const { response } = await send(context, {
        method: 'GET',
        path: '/v1beta/models?pageSize=1000',
        notFoundField: 'base_url',
      });
      const page = await response.json<{ models?: GeminiModelEntry[] }>();
      const models: ModelInfo[] = [];
      for (const entry of page.models ?? []) {
        const model = toModelInfo(entry);
        if (model) models.push(model);
      }
      return { models };
    },

    async chat(request, context) {
      const { response } = await send(context, {
        method: 'POST',
        path: modelPath(request.model, 'generateContent'),
        body: toGeminiRequest(request),
      });
      const completion = toChatCompletion(
        await response.json<GeminiResponse>(),
        request.model,
        Math.floor(Date.now() / 1000),
      );
      return { completion, ...(completion.usage ? { usage: completion.usage } : {}) };
    },

    async chatStream(request, context) {
      const { response, errorContext } = await send(context, {
        method: 'POST',
        path: `${modelPath(request.model, 'streamGenerateContent')}?alt=sse`,
        body: toGeminiRequest(request),
      });
      return translateGeminiStream(response.body, {
        includeUsage: request.stream_options?.include_usage === true,
        created: Math.floor(Date.now() / 1000),
        model: request.model,
        context: errorContext,
      });
    },

    async countTokens(request, context) {
      // generateContentRequest rather than bare `contents`, so the system instruction and the
      // tools are counted as generateContent would count them.
      const { response } = await send(context, {
        method: 'POST',
        path: modelPath(request.model, 'countTokens'),
        body: { generateContentRequest: { model: `models/${request.model}`, ...toGeminiRequest(request) } },
      });
      const { totalTokens } = await response.json<{ totalTokens?: unknown }>();
      if (typeof totalTokens !== 'number')
        throw new MalformedResponseError('Gemini: countTokens answered without totalTokens', {
          provider: 'gemini',
        });
      return totalTokens;
    },

    async speak(request, context) {
      const { response } = await send(context, {
        method: 'POST',
        path: modelPath(request.model, 'generateContent'),
        body: toSpeechRequest(request),
      });
      const { pcm, sampleRate } = speechAudio(await response.json<GeminiResponse>());
      // Gemini speaks raw 16-bit PCM only: `pcm` gets it as it is, every other format a WAV file.
      const raw = request.response_format === 'pcm';
      const audio = raw ? pcm : pcmToWav(pcm, sampleRate);
      return {
        contentType: raw ? 'audio/pcm' : 'audio/wav',
        body: (async function* () {
          yield new Uint8Array(audio.buffer, audio.byteOffset, audio.byteLength);
        })(),
      };
    },

    async embed(request, context) {
      const { requests } = toBatchEmbedRequest(request);
      // Gemini refuses batches of more than 100 requests: larger inputs go as consecutive batches.
      const embeddings: NonNullable<GeminiBatchEmbedResponse['embeddings']> = [];
      for (let offset = 0; offset < requests.length; offset += GEMINI_EMBED_BATCH_LIMIT) {
        const batch = requests.slice(offset, offset + GEMINI_EMBED_BATCH_LIMIT);
        const { response } = await send(context, {
          method: 'POST',
          path: modelPath(request.model, 'batchEmbedContents'),
          body: { requests: batch },
        });
        const answer = await response.json<GeminiBatchEmbedResponse>();
        // A batch that does not match its inputs is reported by the same check as a whole answer.
        if (!Array.isArray(answer.embeddings) || answer.embeddings.length !== batch.length) {
          return toEmbeddingResponse(answer, request, batch.length);
        }
        embeddings.push(...answer.embeddings);
      }
      return toEmbeddingResponse({ embeddings }, request, requests.length);
    },
  };
}
