import type { ModelFeature, ModelInfo, ProviderManifest } from '@switchboard/provider-spec';
import { apiKeyField, baseUrlField, proxyUrlField } from '../shared/fields.ts';

/** Mistral's default API base. */
export const MISTRAL_BASE_URL = 'https://api.mistral.ai/v1';

const TOOLS: ModelFeature[] = ['tool-call', 'structured-output', 'streaming'];
const VISION: ModelFeature[] = ['tool-call', 'vision', 'structured-output', 'streaming'];
const REASONING: ModelFeature[] = ['tool-call', 'structured-output', 'streaming', 'reasoning'];

const llm = (
  id: string,
  contextSize: number,
  input: number,
  output: number,
  features: ModelFeature[],
): ModelInfo => ({
  id,
  type: 'llm',
  contextSize,
  features,
  pricing: { inputPerMillion: input, outputPerMillion: output },
});

// Prices in USD per million tokens from mistral.ai/pricing.
const models: ModelInfo[] = [
  llm('mistral-large-latest', 131_072, 2, 6, VISION),
  llm('mistral-medium-latest', 131_072, 0.4, 2, VISION),
  llm('mistral-small-latest', 131_072, 0.1, 0.3, VISION),
  llm('magistral-medium-latest', 40_000, 2, 5, REASONING),
  llm('magistral-small-latest', 40_000, 0.5, 1.5, REASONING),
  llm('codestral-latest', 256_000, 0.3, 0.9, TOOLS),
  llm('devstral-medium-latest', 131_072, 0.4, 2, TOOLS),
  llm('ministral-8b-latest', 131_072, 0.1, 0.1, TOOLS),
  llm('ministral-3b-latest', 131_072, 0.04, 0.04, TOOLS),
  llm('pixtral-large-latest', 131_072, 2, 6, VISION),
  llm('open-mistral-nemo', 131_072, 0.15, 0.15, TOOLS),
  {
    id: 'mistral-embed',
    type: 'text-embedding',
    contextSize: 8192,
    dimensions: 1024,
    pricing: { inputPerMillion: 0.1 },
  },
  {
    id: 'codestral-embed',
    type: 'text-embedding',
    contextSize: 8192,
    dimensions: 1536,
    pricing: { inputPerMillion: 0.15 },
  },
  { id: 'voxtral-mini-latest', type: 'speech2text' },
];

/** Mistral's catalog entry. */
export const mistralManifest: ProviderManifest = {
  id: 'mistral',
  label: 'Mistral AI',
  description: 'Mistral, Magistral and Codestral chat models, Mistral embeddings and Voxtral transcription.',
  icon: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect width="24" height="24" rx="6" fill="#fff"/><path fill="#fa520f" d="M4 5h4v4H4zm12 0h4v4h-4zM4 9h8v3H4zm8 0h8v3h-8zM4 12h16v3H4zm0 3h4v4H4zm12 0h4v4h-4zm-6 0h4v4h-4z"/></svg>',
  helpUrl: 'https://console.mistral.ai/api-keys',
  modelTypes: ['llm', 'text-embedding', 'speech2text'],
  configurationMethods: ['predefined', 'customizable'],
  providerCredentialForm: [apiKeyField(), baseUrlField(MISTRAL_BASE_URL), proxyUrlField],
  // Fine-tuned models (`ft:open-mistral-7b:...`) are added by name.
  modelCredentialForm: [apiKeyField(), baseUrlField(MISTRAL_BASE_URL), proxyUrlField],
  models,
};
