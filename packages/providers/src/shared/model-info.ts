import type { ModelFeature, ModelInfo } from '@switchboard/provider-spec';

/** A chat model's catalog entry: context window, output limit and USD prices per million tokens. */
export type ChatModelEntry = (
  id: string,
  contextSize: number,
  maxOutputTokens: number,
  inputPerMillion: number,
  outputPerMillion: number,
  features?: ModelFeature[],
) => ModelInfo;

/** Builds a manifest's chat model entries; `features` defaults to the provider's usual set. */
export function chatModelEntry(defaultFeatures: ModelFeature[]): ChatModelEntry {
  return (
    id,
    contextSize,
    maxOutputTokens,
    inputPerMillion,
    outputPerMillion,
    features = defaultFeatures,
  ) => ({
    id,
    type: 'llm',
    contextSize,
    maxOutputTokens,
    features,
    pricing: { inputPerMillion, outputPerMillion },
  });
}
