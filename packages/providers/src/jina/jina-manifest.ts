import type { FormField, ModelInfo, ProviderManifest } from '@switchboard/provider-spec';
import { apiKeyField, baseUrlField, proxyUrlField } from '../shared/fields.ts';

/** Jina's API root; operations sit below it (`/embeddings`, `/rerank`). */
export const JINA_DEFAULT_BASE_URL = 'https://api.jina.ai/v1';

const JINA_ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" role="img" aria-label="Jina AI">' +
  '<circle cx="6" cy="18" r="3.5" fill="#EB6161"/><path d="M11 3h6v11a7 7 0 0 1-7 7h-.5v-6H10a1 1 0 0 0 1-1z" fill="#009191"/></svg>';

const credentialForm: FormField[] = [
  apiKeyField({ placeholder: 'jina_...', help: 'Create one at jina.ai; it starts with jina_.' }),
  baseUrlField(JINA_DEFAULT_BASE_URL),
  proxyUrlField,
];

// Jina sells prepaid token packs; the standard pack rate is $0.05 per million tokens for every model here.
const pricing = { inputPerMillion: 0.05 };

// Sizes from jina.ai/models.
const models: ModelInfo[] = [
  {
    id: 'jina-embeddings-v4',
    label: 'Jina Embeddings v4',
    type: 'text-embedding',
    contextSize: 32_768,
    dimensions: 2048,
    features: ['vision'],
    pricing,
  },
  {
    id: 'jina-embeddings-v3',
    label: 'Jina Embeddings v3',
    type: 'text-embedding',
    contextSize: 8_192,
    dimensions: 1024,
    pricing,
  },
  {
    id: 'jina-clip-v2',
    label: 'Jina CLIP v2',
    type: 'text-embedding',
    contextSize: 8_192,
    dimensions: 1024,
    features: ['vision'],
    pricing,
  },
  {
    id: 'jina-embeddings-v2-base-en',
    label: 'Jina Embeddings v2 (English)',
    type: 'text-embedding',
    contextSize: 8_192,
    dimensions: 768,
    pricing,
  },
  {
    id: 'jina-embeddings-v2-base-de',
    label: 'Jina Embeddings v2 (German)',
    type: 'text-embedding',
    contextSize: 8_192,
    dimensions: 768,
    pricing,
  },
  {
    id: 'jina-embeddings-v2-base-es',
    label: 'Jina Embeddings v2 (Spanish)',
    type: 'text-embedding',
    contextSize: 8_192,
    dimensions: 768,
    pricing,
  },
  {
    id: 'jina-embeddings-v2-base-zh',
    label: 'Jina Embeddings v2 (Chinese)',
    type: 'text-embedding',
    contextSize: 8_192,
    dimensions: 768,
    pricing,
  },
  {
    id: 'jina-embeddings-v2-base-code',
    label: 'Jina Embeddings v2 (code)',
    type: 'text-embedding',
    contextSize: 8_192,
    dimensions: 768,
    pricing,
  },
  { id: 'jina-reranker-v3', label: 'Jina Reranker v3', type: 'rerank', pricing },
  {
    id: 'jina-reranker-m0',
    label: 'Jina Reranker m0',
    type: 'rerank',
    contextSize: 10_240,
    features: ['vision'],
    pricing,
  },
  {
    id: 'jina-reranker-v2-base-multilingual',
    label: 'Jina Reranker v2 (multilingual)',
    type: 'rerank',
    contextSize: 1_024,
    pricing,
  },
  {
    id: 'jina-reranker-v1-base-en',
    label: 'Jina Reranker v1 (English)',
    type: 'rerank',
    contextSize: 8_192,
    pricing,
  },
  {
    id: 'jina-reranker-v1-turbo-en',
    label: 'Jina Reranker v1 Turbo',
    type: 'rerank',
    contextSize: 8_192,
    pricing,
  },
  {
    id: 'jina-reranker-v1-tiny-en',
    label: 'Jina Reranker v1 Tiny',
    type: 'rerank',
    contextSize: 8_192,
    pricing,
  },
];

/** What Switchboard shows about Jina AI: embeddings and rerankers. */
export const jinaManifest: ProviderManifest = {
  id: 'jina',
  label: 'Jina AI',
  description: 'Multilingual, long-context embeddings and rerankers from Jina AI.',
  icon: JINA_ICON,
  helpUrl: 'https://jina.ai/api-dashboard',
  modelTypes: ['text-embedding', 'rerank'],
  configurationMethods: ['predefined', 'customizable'],
  providerCredentialForm: credentialForm,
  // New Jina models are added by name, each with its own key.
  modelCredentialForm: credentialForm,
  models,
};
