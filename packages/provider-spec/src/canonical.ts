// The canonical request and response shapes: OpenAI's API (chat completions,
// embeddings, audio), and the Jina/Cohere shape for rerank. Adapters translate
// to and from these. Unknown extra fields are kept (index signatures) so that
// OpenAI-compatible upstreams receive what the client sent.

/** One part of a multi-part message content. */
export type ChatContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: 'auto' | 'low' | 'high' } }
  | { type: 'input_audio'; input_audio: { data: string; format: 'wav' | 'mp3' } }
  | { type: 'file'; file: { file_data?: string; file_id?: string; filename?: string } };

/** A tool call made by the assistant. */
export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type ChatMessage =
  | { role: 'system' | 'developer'; content: string | ChatContentPart[]; name?: string }
  | { role: 'user'; content: string | ChatContentPart[]; name?: string }
  | {
      role: 'assistant';
      content?: string | ChatContentPart[] | null;
      tool_calls?: ChatToolCall[];
      name?: string;
      refusal?: string | null;
    }
  | { role: 'tool'; content: string | ChatContentPart[]; tool_call_id: string };

export interface ChatTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

export type ChatToolChoice = 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };

export type ChatResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | {
      type: 'json_schema';
      json_schema: { name: string; description?: string; schema?: Record<string, unknown>; strict?: boolean };
    };

/** POST /v1/chat/completions body. `model` is the provider's own model id when it reaches an adapter. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  tools?: ChatTool[];
  tool_choice?: ChatToolChoice;
  parallel_tool_calls?: boolean;
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  stop?: string | string[];
  n?: number;
  seed?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  response_format?: ChatResponseFormat;
  user?: string;
  [extra: string]: unknown;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call';

/** Token counts of one call. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number };
  completion_tokens_details?: { reasoning_tokens?: number };
}

/** Non-streaming chat completion (`object: 'chat.completion'`). */
export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: {
    index: number;
    message: {
      role: 'assistant';
      content: string | null;
      tool_calls?: ChatToolCall[];
      refusal?: string | null;
    };
    finish_reason: FinishReason | null;
    logprobs?: unknown;
  }[];
  usage?: Usage;
  system_fingerprint?: string | null;
  [extra: string]: unknown;
}

/** One streamed delta (`object: 'chat.completion.chunk'`). */
export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: {
    index: number;
    delta: {
      role?: 'assistant';
      content?: string | null;
      refusal?: string | null;
      tool_calls?: {
        index: number;
        id?: string;
        type?: 'function';
        function?: { name?: string; arguments?: string };
      }[];
    };
    finish_reason: FinishReason | null;
    logprobs?: unknown;
  }[];
  /** Present (with `choices: []`) on the last chunk when `stream_options.include_usage` is set. */
  usage?: Usage | null;
  [extra: string]: unknown;
}

/** POST /v1/embeddings body. */
export interface EmbeddingRequest {
  model: string;
  input: string | string[] | number[] | number[][];
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
  user?: string;
  [extra: string]: unknown;
}

export interface EmbeddingResponse {
  object: 'list';
  data: { object: 'embedding'; index: number; embedding: number[] | string }[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

/** POST /v1/rerank body (Jina/Cohere shape). */
export interface RerankRequest {
  model: string;
  query: string;
  documents: (string | { text: string })[];
  top_n?: number;
  return_documents?: boolean;
  [extra: string]: unknown;
}

export interface RerankResponse {
  id?: string;
  model: string;
  /** Sorted by relevance, most relevant first. */
  results: { index: number; relevance_score: number; document?: { text: string } }[];
  usage: { total_tokens: number; prompt_tokens?: number };
}

/** An uploaded audio file. */
export interface AudioFile {
  data: Uint8Array;
  filename: string;
  contentType: string;
}

/** POST /v1/audio/transcriptions (multipart) fields. */
export interface TranscriptionRequest {
  model: string;
  file: AudioFile;
  language?: string;
  prompt?: string;
  response_format?: 'json' | 'text' | 'srt' | 'verbose_json' | 'vtt';
  temperature?: number;
}

export interface TranscriptionResponse {
  text: string;
  language?: string;
  duration?: number;
  usage?:
    | { type: 'tokens'; input_tokens: number; output_tokens: number; total_tokens: number }
    | { type: 'duration'; seconds: number };
  [extra: string]: unknown;
}

/** POST /v1/audio/speech body. */
export interface SpeechRequest {
  model: string;
  input: string;
  voice: string;
  response_format?: 'mp3' | 'opus' | 'aac' | 'flac' | 'wav' | 'pcm';
  speed?: number;
  instructions?: string;
}
