import type {
  ChatCompletion,
  ChatRequest,
  EmbeddingRequest,
  EmbeddingResponse,
  RerankRequest,
  RerankResponse,
  SpeechRequest,
  TranscriptionRequest,
  TranscriptionResponse,
  Usage,
} from './canonical.ts';
import type { CredentialValues, ModelInfo, ModelType, ProviderManifest } from './manifest.ts';
import type { ProviderError } from './errors.ts';
import type { ChatParameters } from './parameters.ts';

/**
 * How a caller cancels an operation: an AbortSignal, or any emitter of `abort` with an `aborted`
 * flag (undici accepts both). The gateway uses the latter: an AbortController per call costs
 * about 10 µs, a measurable share of its per-request budget.
 */
export type CancelSignal =
  | AbortSignal
  | {
      readonly aborted: boolean;
      readonly reason?: unknown;
      on(event: 'abort', listener: () => void): unknown;
      once(event: 'abort', listener: () => void): unknown;
      removeListener(event: 'abort', listener: () => void): unknown;
    };

/** What every operation receives besides its request. */
export interface CallContext {
  /** The credential's form values, secrets decrypted. Never logged, never put in an error. */
  credentials: CredentialValues;
  /** Aborted when the client goes away: the upstream request is cancelled at once. */
  signal: CancelSignal;
}

/** A non-streaming chat answer. */
export interface ChatResult {
  completion: ChatCompletion;
  /**
   * The upstream's own response bytes when they already are the canonical JSON
   * (OpenAI-compatible upstreams): the gateway sends them as they are.
   */
  raw?: Uint8Array;
  usage?: Usage;
}

/**
 * A streaming chat answer, begun: the upstream has answered 2xx, nothing has been
 * read of the body yet. Failures before this point reject the `chatStream` call
 * (so the gateway can try another key); failures after it make `body` throw.
 */
export interface ChatStream {
  /**
   * Server-sent events in OpenAI's format, ready to write to the client:
   * `data: {chat.completion.chunk}\n\n` ... `data: [DONE]\n\n`. Throws a
   * ProviderError if the upstream fails or closes before finishing.
   */
  body: AsyncIterable<Uint8Array>;
  /** Token usage, once `body` has been read to the end (undefined if the upstream gave none). */
  usage(): Usage | undefined;
}

/**
 * A provider's own API that an adapter can relay requests to as they are (passthrough).
 * `anthropic-count-tokens` is the Messages API's POST /v1/messages/count_tokens.
 */
export type NativeApi = 'openai-responses' | 'anthropic-messages' | 'anthropic-count-tokens';

/** A request in a provider's own API shape, relayed as it is. */
export interface NativeRequest {
  api: NativeApi;
  /** The client's body, `model` already the provider's own id. */
  body: Record<string, unknown>;
  /** Protocol headers of the client's to pass on (`anthropic-version`, `anthropic-beta`). */
  headers: Record<string, string>;
}

/** The upstream's 2xx answer, unread; a non-2xx answer rejects `relay` with a ProviderError. */
export interface NativeResponse {
  contentType: string;
  body: AsyncIterable<Uint8Array>;
  /** Reads the whole body at once (cheaper than iterating `body`), for an answer that is not a stream. */
  bytes?(): Promise<Uint8Array>;
  /**
   * The failure an event of the relayed stream reports (its `data:` payload, parsed), as the adapter
   * maps the same failure when it translates the stream; undefined for an event that is no error.
   * The gateway passes the event on unchanged and counts the failure against the key.
   */
  streamError?(event: Record<string, unknown>): ProviderError | undefined;
}

/** Binary audio from `speak`. */
export interface AudioStream {
  contentType: string;
  body: AsyncIterable<Uint8Array>;
}

/** What proving a credential found, for the console to show. */
export interface ValidationResult {
  /** Models the key can see, when the check listed them. */
  models?: ModelInfo[];
}

/** The custom model a model-level credential is checked against. */
export interface ValidationTarget {
  model: string;
  type: ModelType;
}

/**
 * One provider. Every operation throws only ProviderError subclasses.
 * Operations the provider does not offer are absent.
 */
export interface ProviderAdapter {
  readonly manifest: ProviderManifest;
  /**
   * What the chat operations do with each request parameter (the gateway refuses the ones they
   * cannot honour). Absent: the request body reaches the upstream as it is, which answers for them.
   */
  readonly chatParameters?: ChatParameters;
  /**
   * One cheap real call that proves the key and endpoint work. With `target`, it
   * checks a custom model's credential against that model. Throws with `field` set
   * to the form field at fault.
   */
  validateCredentials(context: CallContext, target?: ValidationTarget): Promise<ValidationResult>;
  /** Models the server has loaded (discoverable providers only). */
  discoverModels?(context: CallContext): Promise<ModelInfo[]>;
  /** The provider's own APIs `relay` speaks: the gateway passes those requests through. */
  readonly nativeApis?: readonly NativeApi[];
  /** Sends a request of one of `nativeApis` as it is; the answer's bytes are the provider's. */
  relay?(request: NativeRequest, context: CallContext): Promise<NativeResponse>;
  chat?(request: ChatRequest, context: CallContext): Promise<ChatResult>;
  chatStream?(request: ChatRequest, context: CallContext): Promise<ChatStream>;
  /** The input tokens of a chat request, counted by the provider (for providers with a counting endpoint). */
  countTokens?(request: ChatRequest, context: CallContext): Promise<number>;
  embed?(request: EmbeddingRequest, context: CallContext): Promise<EmbeddingResponse>;
  rerank?(request: RerankRequest, context: CallContext): Promise<RerankResponse>;
  transcribe?(request: TranscriptionRequest, context: CallContext): Promise<TranscriptionResponse>;
  speak?(request: SpeechRequest, context: CallContext): Promise<AudioStream>;
}
