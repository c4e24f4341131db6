import type { ModelFeature, ModelInfo, ModelType } from '@switchboard/provider-spec';
import type { UpstreamModel } from '../openai-compatible/index.ts';

const ABILITY_FEATURES: Record<string, ModelFeature> = {
  tools: 'tool-call',
  vision: 'vision',
  reasoning: 'reasoning',
  audio: 'audio-input',
};

const positive = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;

/** The Switchboard type of a running Xinference model, from its `model_type` and abilities. */
export function xinferenceModelType(model: UpstreamModel): ModelType | undefined {
  const abilities = Array.isArray(model.model_ability) ? (model.model_ability as string[]) : [];
  switch (model.model_type) {
    case 'LLM':
      // Base models that only `generate` cannot serve chat completions.
      return abilities.length === 0 || abilities.includes('chat') ? 'llm' : undefined;
    case 'embedding':
      return 'text-embedding';
    case 'rerank':
      return 'rerank';
    case 'audio':
      if (abilities.includes('text2audio') || abilities.includes('text_to_speech')) return 'tts';
      if (abilities.includes('audio2text') || abilities.length === 0) return 'speech2text';
      return undefined;
    default:
      return undefined;
  }
}

/** A running model as Switchboard describes it, or undefined for types it does not serve (image, video). */
export function xinferenceModelInfo(model: UpstreamModel): ModelInfo | undefined {
  const type = xinferenceModelType(model);
  if (!type) return undefined;
  const info: ModelInfo = { id: model.id, type };
  if (typeof model.model_name === 'string' && model.model_name !== model.id) info.label = model.model_name;
  if (type === 'llm') {
    const contextSize = positive(model.context_length);
    if (contextSize) info.contextSize = contextSize;
    const abilities = Array.isArray(model.model_ability) ? (model.model_ability as string[]) : [];
    info.features = [
      'streaming',
      ...abilities.map((ability) => ABILITY_FEATURES[ability]).filter((f): f is ModelFeature => !!f),
    ];
  }
  if (type === 'text-embedding') {
    const contextSize = positive(model.max_tokens);
    const dimensions = positive(model.dimensions);
    if (contextSize) info.contextSize = contextSize;
    if (dimensions) info.dimensions = dimensions;
  }
  return info;
}
