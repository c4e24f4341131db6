import {
  type AudioStream,
  type CallContext,
  type ChatCompletion,
  type ChatRequest,
  type ChatResult,
  type ChatStream,
  type CredentialValues,
  type EmbeddingRequest,
  type EmbeddingResponse,
  MalformedResponseError,
  type NativeRequest,
  type NativeResponse,
  type ProviderError,
  type ProviderManifest,
  type RerankRequest,
  type RerankResponse,
  type SpeechRequest,
  type TranscriptionRequest,
  type TranscriptionResponse,
  UpstreamUnavailableError,
  type ValidationTarget,
} from '@switchboard/provider-spec';
import { createHttpClient, type HttpClient, type HttpResponse, type HttpSettings } from '../shared/http.ts';
import { redactedExcerpt, secretValues } from '../shared/redact.ts';
import { RelayedResponse } from '../shared/relayed-response.ts';
import { stringValue } from '../shared/fields.ts';
import { type ErrorContext, errorForStatus } from '../shared/upstream-errors.ts';
import { readOpenAIErrorBody, responsesStreamError } from './openai-compatible-errors.ts';
import { readModelList, type UpstreamModel } from './openai-compatible-models.ts';
import { multipartBody } from './openai-compatible-multipart.ts';
import { type ChunkRepair, type PassThroughState, passThroughSse } from './openai-compatible-stream.ts';
import { readUsage } from './openai-compatible-usage.ts';

/** The upstream operations of the OpenAI wire. */
export type WireOperation =
  | 'chat'
  | 'embeddings'
  | 'transcriptions'
  | 'speech'
  | 'rerank'
  | 'models'
  | 'responses';

/** Where one operation goes and how it authenticates. */
export interface WireEndpoint {
  url: string;
  headers: Record<string, string>;
}

/** What makes one provider's flavour of the OpenAI wire. */
export interface OpenAIWireOptions {
  manifest: ProviderManifest;
  settings: HttpSettings;
  /** URL and headers (auth included) of an operation, for these credentials and model. */
  endpoint(operation: WireOperation, credentials: CredentialValues, model: string | undefined): WireEndpoint;
  /** Turns the canonical chat body into what the provider accepts (drops or renames fields). */
  chatBody?(body: Record<string, unknown>): Record<string, unknown>;
  /** Repairs stream chunks that deviate from OpenAI's format. */
  chunkRepair?: ChunkRepair;
  /** Repairs a non-streaming completion in place; returns true when changed (then `raw` is not sent). */
  completionRepair?(completion: ChatCompletion): boolean;
  /** The output-limit field a one-token probe uses (`max_completion_tokens` for OpenAI reasoning models). */
  probeLimitField?:
    | 'max_tokens'
    | 'max_completion_tokens'
    | ((credentials: CredentialValues) => 'max_tokens' | 'max_completion_tokens');
}

/** The OpenAI wire bound to one provider: every call the eight OpenAI-family adapters make. */
export interface OpenAIWire {
  readonly http: HttpClient;
  /** Error context for these credentials; `notFoundField` is blamed for a 404. */
  errorContext(credentials: CredentialValues, notFoundField?: string): ErrorContext;
  chat(request: ChatRequest, context: CallContext): Promise<ChatResult>;
  chatStream(request: ChatRequest, context: CallContext): Promise<ChatStream>;
  embed(request: EmbeddingRequest, context: CallContext): Promise<EmbeddingResponse>;
  rerank(request: RerankRequest, context: CallContext): Promise<RerankResponse>;
  transcribe(request: TranscriptionRequest, context: CallContext): Promise<TranscriptionResponse>;
  speak(request: SpeechRequest, context: CallContext): Promise<AudioStream>;
  /** Relays a Responses API request (`POST /responses`) as it is, for providers that serve it. */
  relay(request: NativeRequest, context: CallContext): Promise<NativeResponse>;
  /** `GET /models`; a 404 or an answer that is not a model list blames `base_url`. */
  listModels(context: CallContext): Promise<UpstreamModel[]>;
  /** The cheapest real request to one model (1-token chat, one-word embedding...), to prove it exists. */
  probeModel(target: ValidationTarget, context: CallContext): Promise<void>;
  /**
   * Proves the credentials with `GET /models`, and a custom-model target by finding it in
   * that list or, where the list cannot prove it, with a probe.
   */
  validateWithModelList(context: CallContext, target?: ValidationTarget): Promise<UpstreamModel[]>;
}

const SPEECH_TYPES: Record<string, string> = {
  mp3: 'audio/mpeg',
  opus: 'audio/opus',
  aac: 'audio/aac',
  flac: 'audio/flac',
  wav: 'audio/wav',
  pcm: 'audio/pcm',
};

/** Creates the OpenAI wire for one provider. */
export function createOpenAIWire(options: OpenAIWireOptions): OpenAIWire {
  const { manifest } = options;
  const http = createHttpClient(options.settings, readOpenAIErrorBody);
  const forms = [manifest.providerCredentialForm, manifest.modelCredentialForm];

  const errorContext = (credentials: CredentialValues, notFoundField?: string): ErrorContext => ({
    provider: manifest.id,
    label: manifest.label,
    secrets: secretValues(forms, credentials),
    ...(notFoundField ? { notFoundField } : {}),
  });

  // The gateway calls with the same credential objects again and again (its resolve cache
  // holds them until they change), so what a call derives from them is kept per object:
  // the error context (secrets to redact) and each operation's URL and request headers.
  interface Derived {
    errors: ErrorContext;
    requests: Map<string, { url: string; headers: Record<string, string>; proxyUrl: string | undefined }>;
  }
  const derivedByCredentials = new WeakMap<CredentialValues, Derived>();
  function derived(credentials: CredentialValues): Derived {
    let entry = derivedByCredentials.get(credentials);
    if (!entry) {
      entry = { errors: errorContext(credentials), requests: new Map() };
      derivedByCredentials.set(credentials, entry);
    }
    return entry;
  }

  const malformed = (context: ErrorContext, what: string, status: number, text?: string) =>
    new MalformedResponseError(`${context.label}: ${what}`, {
      provider: context.provider,
      status,
      ...(text ? { upstreamMessage: redactedExcerpt(text, context.secrets, 200) } : {}),
    });

  /** A 2xx body carrying `{error}` (OpenRouter, some proxies) is still a failure. */
  const embeddedError = (value: unknown, context: ErrorContext): ProviderError | undefined => {
    const error = (value as { error?: unknown } | null)?.error;
    if (!error || typeof error !== 'object') return undefined;
    const record = error as Record<string, unknown>;
    const message = typeof record.message === 'string' ? record.message : JSON.stringify(record);
    const code = Number(record.code);
    const status = Number.isInteger(code) && code >= 400 && code < 600 ? code : 502;
    return errorForStatus(status, { message }, {}, context);
  };

  async function post(
    operation: WireOperation,
    model: string | undefined,
    body: unknown,
    context: CallContext,
    extraHeaders?: Record<string, string>,
  ): Promise<{ response: HttpResponse; errors: ErrorContext }> {
    const { errors, requests } = derived(context.credentials);
    const key = model === undefined ? operation : `${operation}\u0000${model}`;
    let target = requests.get(key);
    if (!target) {
      const endpoint = options.endpoint(operation, context.credentials, model);
      const headers = { 'content-type': 'application/json', ...endpoint.headers };
      target = { url: endpoint.url, headers, proxyUrl: stringValue(context.credentials, 'proxy_url') };
      requests.set(key, target);
    }
    const response = await http.send(
      {
        method: 'POST',
        url: target.url,
        headers: extraHeaders ? { ...target.headers, ...extraHeaders } : target.headers,
        body,
        signal: context.signal,
        proxyUrl: target.proxyUrl,
      },
      errors,
    );
    return { response, errors };
  }

  async function json<T>(response: HttpResponse, errors: ErrorContext): Promise<T> {
    const value = await response.json<T>();
    const failure = embeddedError(value, errors);
    if (failure) throw failure;
    return value;
  }

  // Copies only when something must change: the gateway's bodies usually need nothing.
  const chatBody = (request: ChatRequest, stream: boolean): Record<string, unknown> => {
    let body = request as unknown as Record<string, unknown>;
    if (stream) {
      if (body.stream !== true) body = { ...body, stream: true };
    } else if (body.stream !== undefined || body.stream_options !== undefined) {
      const { stream: _stream, stream_options: _options, ...rest } = body;
      body = rest;
    }
    return options.chatBody ? options.chatBody(body) : body;
  };

  const wire: OpenAIWire = {
    http,
    errorContext,

    async relay(request, context) {
      const model = typeof request.body.model === 'string' ? request.body.model : undefined;
      const { response, errors } = await post('responses', model, request.body, context);
      return new RelayedResponse(response, responsesStreamError, errors);
    },

    async chat(request, context) {
      const { response, errors } = await post('chat', request.model, chatBody(request, false), context);
      const raw = await response.bytes();
      const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
      let completion: ChatCompletion;
      try {
        completion = JSON.parse(text) as ChatCompletion;
      } catch {
        throw malformed(errors, 'the response is not JSON', response.status, text);
      }
      const failure = embeddedError(completion, errors);
      if (failure) throw failure;
      if (!completion || typeof completion !== 'object' || !Array.isArray(completion.choices)) {
        throw malformed(errors, 'the response has no choices', response.status, text);
      }
      const choiceError = completion.choices.find((choice) => (choice as { error?: unknown }).error);
      if (choiceError) {
        throw (
          embeddedError(choiceError, errors) ??
          new UpstreamUnavailableError(`${errors.label}: the answer failed`, {
            provider: errors.provider,
            status: 200,
          })
        );
      }
      const repaired = options.completionRepair?.(completion) ?? false;
      const usage = readUsage(completion.usage);
      return { completion, ...(repaired ? {} : { raw }), ...(usage ? { usage } : {}) };
    },

    async chatStream(request, context) {
      const { response, errors } = await post('chat', request.model, chatBody(request, true), context, {
        accept: 'text/event-stream',
      });
      const state: PassThroughState = { usage: undefined, done: false };
      return {
        body: passThroughSse(response.body, state, errors, options.chunkRepair),
        usage: () => state.usage,
      };
    },

    async embed(request, context) {
      const { response, errors } = await post('embeddings', request.model, request, context);
      const value = await json<Record<string, unknown>>(response, errors);
      if (!Array.isArray(value.data))
        throw malformed(errors, 'the response has no embeddings', response.status);
      const usage = (value.usage ?? {}) as Record<string, unknown>;
      const prompt = typeof usage.prompt_tokens === 'number' ? usage.prompt_tokens : 0;
      return {
        object: 'list',
        data: (value.data as Record<string, unknown>[]).map((item, position) => ({
          object: 'embedding',
          index: typeof item.index === 'number' ? item.index : position,
          embedding: item.embedding as number[] | string,
        })),
        model: typeof value.model === 'string' ? value.model : request.model,
        usage: {
          prompt_tokens: prompt,
          total_tokens: typeof usage.total_tokens === 'number' ? usage.total_tokens : prompt,
        },
      };
    },

    async rerank(request, context) {
      const body = {
        ...request,
        documents: request.documents.map((document) =>
          typeof document === 'string' ? document : document.text,
        ),
      };
      const { response, errors } = await post('rerank', request.model, body, context);
      const value = await json<Record<string, unknown>>(response, errors);
      if (!Array.isArray(value.results))
        throw malformed(errors, 'the response has no results', response.status);
      const keepDocuments = request.return_documents !== false;
      const results = (value.results as Record<string, unknown>[])
        .map((item) => {
          const document = item.document;
          const text =
            typeof document === 'string'
              ? document
              : document &&
                  typeof document === 'object' &&
                  typeof (document as { text?: unknown }).text === 'string'
                ? (document as { text: string }).text
                : undefined;
          const score =
            typeof item.relevance_score === 'number' ? item.relevance_score : Number(item.score ?? 0);
          return {
            index: Number(item.index),
            relevance_score: score,
            ...(keepDocuments && text !== undefined ? { document: { text } } : {}),
          };
        })
        // Old llama.cpp builds answer in input order and ignore top_n.
        .sort((a, b) => b.relevance_score - a.relevance_score)
        .slice(0, request.top_n && request.top_n > 0 ? request.top_n : undefined);
      const usage = (value.usage ?? {}) as Record<string, unknown>;
      const meta = (value.meta ?? {}) as { tokens?: { input_tokens?: number } | null };
      const total =
        typeof usage.total_tokens === 'number' ? usage.total_tokens : (meta.tokens?.input_tokens ?? 0);
      return {
        ...(typeof value.id === 'string' ? { id: value.id } : {}),
        model: typeof value.model === 'string' ? value.model : request.model,
        results,
        usage: {
          total_tokens: total,
          ...(typeof usage.prompt_tokens === 'number' ? { prompt_tokens: usage.prompt_tokens } : {}),
        },
      };
    },

    async transcribe(request, context) {
      const form = multipartBody([
        ['file', request.file],
        ['model', request.model],
        ['language', request.language],
        ['prompt', request.prompt],
        ['response_format', request.response_format],
        ['temperature', request.temperature],
      ]);
      const { response, errors } = await post('transcriptions', request.model, form.body, context, {
        'content-type': form.contentType,
      });
      const format = request.response_format ?? 'json';
      if (format === 'text' || format === 'srt' || format === 'vtt') return { text: await response.text() };
      const value = await json<TranscriptionResponse>(response, errors);
      if (typeof value?.text !== 'string')
        throw malformed(errors, 'the response has no text', response.status);
      const usage = value.usage as Record<string, unknown> | undefined;
      if (usage && typeof usage.type !== 'string') {
        // Mistral reports seconds of audio without OpenAI's `type` tag.
        const { usage: _dropped, ...rest } = value;
        return typeof usage.prompt_audio_seconds === 'number'
          ? { ...rest, usage: { type: 'duration', seconds: usage.prompt_audio_seconds } }
          : rest;
      }
      return value;
    },

    async speak(request, context) {
      const { response } = await post('speech', request.model, request, context);
      const contentType =
        response.header('content-type') ?? SPEECH_TYPES[request.response_format ?? 'mp3'] ?? 'audio/mpeg';
      return { contentType, body: response.body };
    },

    async listModels(context) {
      const errors = errorContext(context.credentials, 'base_url');
      const endpoint = options.endpoint('models', context.credentials, undefined);
      const response = await http.send(
        {
          method: 'GET',
          url: endpoint.url,
          headers: endpoint.headers,
          signal: context.signal,
          proxyUrl: stringValue(context.credentials, 'proxy_url'),
        },
        errors,
      );
      const text = await response.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new MalformedResponseError(`${errors.label}: the endpoint did not answer with a model list`, {
          provider: errors.provider,
          status: response.status,
          field: 'base_url',
          upstreamMessage: redactedExcerpt(text, errors.secrets, 200),
        });
      }
      const models = readModelList(body);
      if (!models) {
        throw new MalformedResponseError(`${errors.label}: the endpoint did not answer with a model list`, {
          provider: errors.provider,
          status: response.status,
          field: 'base_url',
        });
      }
      return models;
    },

    async probeModel(target, context) {
      const model = target.model;
      switch (target.type) {
        case 'llm': {
          const field = options.probeLimitField ?? 'max_tokens';
          const limit = typeof field === 'function' ? field(context.credentials) : field;
          const request: ChatRequest = { model, messages: [{ role: 'user', content: 'ping' }] };
          request[limit] = 1;
          await wire.chat(request, context);
          return;
        }
        case 'text-embedding':
          await wire.embed({ model, input: 'ping' }, context);
          return;
        case 'rerank':
          await wire.rerank({ model, query: 'ping', documents: ['ping'], top_n: 1 }, context);
          return;
        case 'speech2text':
          await wire.transcribe(
            { model, file: { data: silentWav(), filename: 'probe.wav', contentType: 'audio/wav' } },
            context,
          );
          return;
        case 'tts': {
          const voice = manifest.models.find((known) => known.id === model)?.voices?.[0] ?? 'alloy';
          const audio = await wire.speak({ model, input: 'ping', voice }, context);
          for await (const _chunk of audio.body) break;
          return;
        }
      }
    },

    async validateWithModelList(context, target) {
      const models = await wire.listModels(context);
      if (target && !models.some((model) => model.id === target.model))
        await wire.probeModel(target, context);
      return models;
    },
  };
  return wire;
}

/** A tenth of a second of 16 kHz mono silence: the smallest honest audio for a transcription probe. */
export function silentWav(): Uint8Array {
  const samples = 1600;
  const buffer = Buffer.alloc(44 + samples * 2);
  buffer.write('RIFF', 0, 'ascii');
  buffer.writeUInt32LE(36 + samples * 2, 4);
  buffer.write('WAVEfmt ', 8, 'ascii');
  buffer.writeUInt32LE(16, 16);
  buffer.writeUInt16LE(1, 20);
  buffer.writeUInt16LE(1, 22);
  buffer.writeUInt32LE(16_000, 24);
  buffer.writeUInt32LE(32_000, 28);
  buffer.writeUInt16LE(2, 32);
  buffer.writeUInt16LE(16, 34);
  buffer.write('data', 36, 'ascii');
  buffer.writeUInt32LE(samples * 2, 40);
  return buffer;
}

/** Rethrows `error` with `field` set, keeping its class, code and message. */
export function withField<E extends ProviderError>(error: E, field: string): E {
  if (error.field === field) return error;
  Object.defineProperty(error, 'field', { value: field, enumerable: true });
  return error;
}
