import type { FormField, ModelInfo, ProviderManifest } from '@switchboard/provider-spec';
import { apiKeyField, baseUrlField, proxyUrlField } from '../shared/fields.ts';

/** Cohere's public API host; paths carry their own version (`/v2/chat`, `/v1/models`). */
export const COHERE_DEFAULT_BASE_URL = 'https://api.cohere.com';

const COHERE_ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" role="img" aria-label="Cohere">' +
  '<circle cx="8" cy="15" r="5" fill="#39594D"/><circle cx="17" cy="8" r="5" fill="#D18EE2"/>' +
  '<circle cx="17.5" cy="18" r="3" fill="#FF7759"/></svg>';

const credentialForm: FormField[] = [
  apiKeyField({ placeholder: 'Your Cohere API key', help: 'Create one at dashboard.cohere.com/api-keys.' }),
  baseUrlField(COHERE_DEFAULT_BASE_URL),
  proxyUrlField,
];

const chatFeatures = ['tool-call', 'structured-output', 'streaming'] as const;

// Sizes and prices from docs.cohere.com/docs/models and cohere.com/pricing. Prices are left out
// where Cohere publishes none (models sold through sales, rerank billed per search, not per token).
const models: ModelInfo[] = [
  {
    id: 'command-a-plus-05-2026',
    label: 'Command A+',
    type: 'llm',
    contextSize: 128_000,
    maxOutputTokens: 64_000,
    features: [...chatFeatures, 'vision'],
  },
  {
    id: 'command-a-03-2025',
    label: 'Command A',
    type: 'llm',
    contextSize: 256_000,
    maxOutputTokens: 8_000,
    features: [...chatFeatures],
    pricing: { inputPerMillion: 2.5, outputPerMillion: 10 },
  },
  {
    id: 'command-a-reasoning-08-2025',
    label: 'Command A Reasoning',
    type: 'llm',
    contextSize: 256_000,
    maxOutputTokens: 32_000,
    features: [...chatFeatures, 'reasoning'],
  },
  {
    id: 'command-a-vision-07-2025',
    label: 'Command A Vision',
    type: 'llm',
    contextSize: 128_000,
    maxOutputTokens: 8_000,
    features: ['vision', 'structured-output', 'streaming'],
  },
  {
    id: 'command-r-plus-08-2024',
    label: 'Command R+ (08-2024)',
    type: 'llm',
    contextSize: 128_000,
    maxOutputTokens: 4_000,
    features: [...chatFeatures],
    pricing: { inputPerMillion: 2.5, outputPerMillion: 10 },
  },
  {
    id: 'command-r-08-2024',
    label: 'Command R (08-2024)',
    type: 'llm',
    contextSize: 128_000,
    maxOutputTokens: 4_000,
    features: [...chatFeatures],
    pricing: { inputPerMillion: 0.15, outputPerMillion: 0.6 },
  },
  {
    id: 'command-r7b-12-2024',
    label: 'Command R7B',
    type: 'llm',
    contextSize: 128_000,
    maxOutputTokens: 4_000,
    features: [...chatFeatures],
    pricing: { inputPerMillion: 0.0375, outputPerMillion: 0.15 },
  },
  {
    id: 'embed-v4.0',
    label: 'Embed v4',
    type: 'text-embedding',
    contextSize: 128_000,
    dimensions: 1536,
    pricing: { inputPerMillion: 0.12 },
  },
  {
    id: 'embed-english-v3.0',
    label: 'Embed English v3',
    type: 'text-embedding',
    contextSize: 512,
    dimensions: 1024,
    pricing: { inputPerMillion: 0.1 },
  },
  {
    id: 'embed-multilingual-v3.0',
    label: 'Embed Multilingual v3',
    type: 'text-embedding',
    contextSize: 512,
    dimensions: 1024,
    pricing: { inputPerMillion: 0.1 },
  },
  {
    id: 'embed-english-light-v3.0',
    label: 'Embed English Light v3',
    type: 'text-embedding',
    contextSize: 512,
    dimensions: 384,
    pricing: { inputPerMillion: 0.1 },
  },
  {
    id: 'embed-multilingual-light-v3.0',
    label: 'Embed Multilingual Light v3',
    type: 'text-embedding',
    contextSize: 512,
    dimensions: 384,
    pricing: { inputPerMillion: 0.1 },
  },
  { id: 'rerank-v4.0-pro', label: 'Rerank 4 Pro', type: 'rerank', contextSize: 32_000 },
  { id: 'rerank-v4.0-fast', label: 'Rerank 4 Fast', type: 'rerank', contextSize: 32_000 },
  { id: 'rerank-v3.5', label: 'Rerank 3.5', type: 'rerank', contextSize: 4_096 },
  { id: 'rerank-english-v3.0', label: 'Rerank English v3', type: 'rerank', contextSize: 4_096 },
  { id: 'rerank-multilingual-v3.0', label: 'Rerank Multilingual v3', type: 'rerank', contextSize: 4_096 },
];

/** What Switchboard shows about Cohere: Command chat, Embed and Rerank models. */
export const cohereManifest: ProviderManifest = {
  id: 'cohere',
  label: 'Cohere',
  description: 'Command chat models with tools, Embed embeddings and Rerank, through Cohere API v2.',
  icon: COHERE_ICON,
  helpUrl: 'https://dashboard.cohere.com/api-keys',
  modelTypes: ['llm', 'text-embedding', 'rerank'],
  configurationMethods: ['predefined', 'customizable'],
  providerCredentialForm: credentialForm,
  // Fine-tuned and newly released models are added by name, each with its own key.
  modelCredentialForm: credentialForm,
  models,
};
