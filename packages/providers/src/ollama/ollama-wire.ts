// Ollama's native API shapes (docs/api.md and api/types.go), as far as the adapter reads or writes them.
// Every response field is optional here: Ollama omits zero-valued metrics, and older servers lack newer fields.

/** One tool call as Ollama sends and accepts it: `arguments` is a JSON object, not a string. */
export interface OllamaToolCall {
  id?: string;
  function: { index?: number; name: string; arguments: Record<string, unknown> };
}

/** One message of `/api/chat`. */
export interface OllamaMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  /** Base64 without the `data:` prefix. */
  images?: string[];
  tool_calls?: OllamaToolCall[];
  tool_name?: string;
  tool_call_id?: string;
  thinking?: string;
}

/** Modelfile parameters the canonical request maps to. */
export interface OllamaOptions {
  temperature?: number;
  top_p?: number;
  num_predict?: number;
  stop?: string[];
  seed?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
}

/** POST /api/chat body. */
export interface OllamaChatRequest {
  model: string;
  messages: OllamaMessage[];
  stream: boolean;
  tools?: {
    type: 'function';
    function: { name: string; description?: string; parameters?: Record<string, unknown> };
  }[];
  /** `"json"` or a JSON Schema. */
  format?: 'json' | Record<string, unknown>;
  options?: OllamaOptions;
  keep_alive?: string | number;
  think?: boolean | string;
}

/** One `/api/chat` answer: the whole answer, or one NDJSON line of a stream. */
export interface OllamaChatResponse {
  model?: string;
  created_at?: string;
  message?: { role?: string; content?: string; thinking?: string; tool_calls?: OllamaToolCall[] };
  done?: boolean;
  done_reason?: string;
  prompt_eval_count?: number;
  eval_count?: number;
  /** Present on a line that reports a failure mid-stream. */
  error?: string;
}

/** POST /api/embed answer. */
export interface OllamaEmbedResponse {
  model?: string;
  embeddings?: number[][];
  prompt_eval_count?: number;
}

/** `details` of a model in `/api/tags` and `/api/show`. */
export interface OllamaModelDetails {
  family?: string;
  families?: string[] | null;
  parameter_size?: string;
  quantization_level?: string;
}

/** GET /api/tags answer. */
export interface OllamaTagsResponse {
  models?: { name?: string; model?: string; details?: OllamaModelDetails; capabilities?: string[] }[];
}

/** POST /api/show answer. */
export interface OllamaShowResponse {
  details?: OllamaModelDetails;
  model_info?: Record<string, unknown>;
  capabilities?: string[];
}
