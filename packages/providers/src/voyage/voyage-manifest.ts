import type { FormField, ModelInfo, ProviderManifest } from '@switchboard/provider-spec';
import { apiKeyField, baseUrlField, proxyUrlField } from '../shared/fields.ts';

/** Voyage's API root; operations sit below it (`/embeddings`, `/rerank`). */
export const VOYAGE_DEFAULT_BASE_URL = 'https://api.voyageai.com/v1';

const VOYAGE_ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" role="img" aria-label="Voyage AI">' +
  '<path d="M3 5h4.2L12 15.4 16.8 5H21l-7.4 15h-3.2z" fill="#012A3A"/></svg>';

const credentialForm: FormField[] = [
  apiKeyField({
    placeholder: 'pa-...',
    help: 'Create one in the Voyage AI dashboard (dashboard.voyageai.com).',
  }),
  baseUrlField(VOYAGE_DEFAULT_BASE_URL),
  proxyUrlField,
];

// Sizes and prices from docs.voyageai.com (embeddings, reranker and pricing pages). The voyage-4
// series is listed without prices until Voyage publishes per-token rates for it here.
const models: ModelInfo[] = [
  {
    id: 'voyage-4-large',
    label: 'Voyage 4 Large',
    type: 'text-embedding',
    contextSize: 32_000,
    dimensions: 1024,
  },
  { id: 'voyage-4', label: 'Voyage 4', type: 'text-embedding', contextSize: 32_000, dimensions: 1024 },
  {
    id: 'voyage-4-lite',
    label: 'Voyage 4 Lite',
    type: 'text-embedding',
    contextSize: 32_000,
    dimensions: 1024,
  },
  {
    id: 'voyage-3.5',
    label: 'Voyage 3.5',
    type: 'text-embedding',
    contextSize: 32_000,
    dimensions: 1024,
    pricing: { inputPerMillion: 0.06 },
  },
  {
    id: 'voyage-3.5-lite',
    label: 'Voyage 3.5 Lite',
    type: 'text-embedding',
    contextSize: 32_000,
    dimensions: 1024,
    pricing: { inputPerMillion: 0.02 },
  },
  {
    id: 'voyage-3-large',
    label: 'Voyage 3 Large',
    type: 'text-embedding',
    contextSize: 32_000,
    dimensions: 1024,
    pricing: { inputPerMillion: 0.18 },
  },
  {
    id: 'voyage-code-3',
    label: 'Voyage Code 3',
    type: 'text-embedding',
    contextSize: 32_000,
    dimensions: 1024,
    pricing: { inputPerMillion: 0.18 },
  },
  {
    id: 'voyage-finance-2',
    label: 'Voyage Finance 2',
    type: 'text-embedding',
    contextSize: 32_000,
    dimensions: 1024,
    pricing: { inputPerMillion: 0.12 },
  },
  {
    id: 'voyage-law-2',
    label: 'Voyage Law 2',
    type: 'text-embedding',
    contextSize: 16_000,
    dimensions: 1024,
    pricing: { inputPerMillion: 0.12 },
  },
  {
    id: 'voyage-multilingual-2',
    label: 'Voyage Multilingual 2',
    type: 'text-embedding',
    contextSize: 32_000,
    dimensions: 1024,
    pricing: { inputPerMillion: 0.12 },
  },
  {
    id: 'rerank-2.5',
    label: 'Rerank 2.5',
    type: 'rerank',
    contextSize: 32_000,
    pricing: { inputPerMillion: 0.05 },
  },
  {
    id: 'rerank-2.5-lite',
    label: 'Rerank 2.5 Lite',
    type: 'rerank',
    contextSize: 32_000,
    pricing: { inputPerMillion: 0.02 },
  },
  {
    id: 'rerank-2',
    label: 'Rerank 2',
    type: 'rerank',
    contextSize: 16_000,
    pricing: { inputPerMillion: 0.05 },
  },
  {
    id: 'rerank-2-lite',
    label: 'Rerank 2 Lite',
    type: 'rerank',
    contextSize: 8_000,
    pricing: { inputPerMillion: 0.02 },
  },
];

/** What Switchboard shows about Voyage AI: embeddings and rerankers. */
export const voyageManifest: ProviderManifest = {
  id: 'voyage',
  label: 'Voyage AI',
  description: 'Retrieval embeddings (general, code, finance, law) and rerankers from Voyage AI.',
  icon: VOYAGE_ICON,
  helpUrl: 'https://dashboard.voyageai.com/organization/api-keys',
  modelTypes: ['text-embedding', 'rerank'],
  configurationMethods: ['predefined', 'customizable'],
  providerCredentialForm: credentialForm,
  // New Voyage models are added by name, each with its own key.
  modelCredentialForm: credentialForm,
  models,
};
