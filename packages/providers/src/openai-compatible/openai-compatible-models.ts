import type { ModelInfo, ModelType, ProviderManifest } from '@switchboard/provider-spec';

/** One entry of an OpenAI-style `GET /models` answer; servers add their own fields. */
export interface UpstreamModel {
  id: string;
  [extra: string]: unknown;
}

/**
 * The entries of a `/models` answer: `{data:[...]}` (OpenAI, vLLM, LM Studio, Xinference),
 * `data: null` (an empty Ollama), or llama.cpp's hybrid `{models, data}`. Undefined when
 * the body is not a model list at all.
 */
export function readModelList(body: unknown): UpstreamModel[] | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const data = (body as Record<string, unknown>).data;
  if (data === null) return [];
  if (!Array.isArray(data)) return undefined;
  return data.filter(
    (entry): entry is UpstreamModel =>
      !!entry && typeof entry === 'object' && typeof (entry as Record<string, unknown>).id === 'string',
  );
}

const number = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;

/** Guesses a model's type from its name, for servers that do not say (vLLM, LM Studio, llama.cpp). */
export function guessModelType(id: string): ModelType {
  const name = id.toLowerCase();
  if (/rerank/.test(name)) return 'rerank';
  if (/embed|(^|[/-])(bge|e5|gte)-|minilm|mpnet|nomic-embed/.test(name)) return 'text-embedding';
  if (/whisper|transcribe|parakeet/.test(name)) return 'speech2text';
  if (/(^|[/-])tts|kokoro|orpheus/.test(name)) return 'tts';
  return 'llm';
}

/**
 * A discovered model from a generic OpenAI-compatible server: the context size from
 * vLLM's `max_model_len`, llama.cpp's `meta.n_ctx`/`n_ctx_train`, LM Studio's
 * `max_context_length` or a `context_length`, whichever the server gives.
 */
export function modelInfoFromListing(model: UpstreamModel): ModelInfo {
  const meta = model.meta as Record<string, unknown> | undefined;
  const type =
    typeof model.type === 'string' && /^embedding/.test(model.type)
      ? 'text-embedding'
      : guessModelType(model.id);
  const contextSize =
    number(model.max_model_len) ??
    number(meta?.n_ctx) ??
    number(meta?.n_ctx_train) ??
    number(model.max_context_length) ??
    number(model.context_length) ??
    number(model.context_window);
  const info: ModelInfo = { id: model.id, type };
  if (contextSize !== undefined) info.contextSize = contextSize;
  // LM Studio's REST API calls vision-language models `vlm`.
  if (type === 'llm') info.features = model.type === 'vlm' ? ['streaming', 'vision'] : ['streaming'];
  return info;
}

/** The manifest's predefined models the listing shows, in manifest order: what this key can use. */
export function visiblePredefinedModels(manifest: ProviderManifest, listed: UpstreamModel[]): ModelInfo[] {
  const ids = new Set(listed.map((model) => model.id));
  return manifest.models.filter((model) => ids.has(model.id));
}
