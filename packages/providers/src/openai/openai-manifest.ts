import type { ModelFeature, ModelInfo, ProviderManifest } from '@switchboard/provider-spec';
import { apiKeyField, baseUrlField, proxyUrlField } from '../shared/fields.ts';
import { chatModelEntry } from '../shared/model-info.ts';

/** OpenAI's default API base. */
export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

const CHAT: ModelFeature[] = ['tool-call', 'vision', 'structured-output', 'streaming'];
const REASONING: ModelFeature[] = ['tool-call', 'vision', 'structured-output', 'streaming', 'reasoning'];

/** The voices of OpenAI's speech models. */
export const OPENAI_VOICES = [
  'alloy',
  'ash',
  'ballad',
  'coral',
  'echo',
  'fable',
  'nova',
  'onyx',
  'sage',
  'shimmer',
  'verse',
  'marin',
  'cedar',
];

/** tts-1 and tts-1-hd have the original voices only (no ballad, verse, marin, cedar). */
const TTS1_VOICES = ['alloy', 'ash', 'coral', 'echo', 'fable', 'nova', 'onyx', 'sage', 'shimmer'];

const llm = chatModelEntry(CHAT);

// Prices in USD per million tokens from openai.com/api/pricing (standard tier).
const models: ModelInfo[] = [
  llm('gpt-5', 400_000, 128_000, 1.25, 10, REASONING),
  llm('gpt-5-mini', 400_000, 128_000, 0.25, 2, REASONING),
  llm('gpt-5-nano', 400_000, 128_000, 0.05, 0.4, REASONING),
  llm('gpt-4.1', 1_047_576, 32_768, 2, 8),
  llm('gpt-4.1-mini', 1_047_576, 32_768, 0.4, 1.6),
  llm('gpt-4.1-nano', 1_047_576, 32_768, 0.1, 0.4),
  llm('gpt-4o', 128_000, 16_384, 2.5, 10),
  llm('gpt-4o-mini', 128_000, 16_384, 0.15, 0.6),
  llm('o3', 200_000, 100_000, 2, 8, REASONING),
  llm('o4-mini', 200_000, 100_000, 1.1, 4.4, REASONING),
  {
    id: 'text-embedding-3-small',
    type: 'text-embedding',
    contextSize: 8191,
    dimensions: 1536,
    pricing: { inputPerMillion: 0.02 },
  },
  {
    id: 'text-embedding-3-large',
    type: 'text-embedding',
    contextSize: 8191,
    dimensions: 3072,
    pricing: { inputPerMillion: 0.13 },
  },
  {
    id: 'text-embedding-ada-002',
    type: 'text-embedding',
    contextSize: 8191,
    dimensions: 1536,
    pricing: { inputPerMillion: 0.1 },
  },
  { id: 'gpt-4o-transcribe', type: 'speech2text', pricing: { inputPerMillion: 2.5, outputPerMillion: 10 } },
  {
    id: 'gpt-4o-mini-transcribe',
    type: 'speech2text',
    pricing: { inputPerMillion: 1.25, outputPerMillion: 5 },
  },
  { id: 'whisper-1', type: 'speech2text' },
  {
    id: 'gpt-4o-mini-tts',
    type: 'tts',
    voices: OPENAI_VOICES,
    pricing: { inputPerMillion: 0.6, outputPerMillion: 12 },
  },
  { id: 'tts-1', type: 'tts', voices: TTS1_VOICES },
  { id: 'tts-1-hd', type: 'tts', voices: TTS1_VOICES },
];

/** OpenAI's catalog entry. */
export const openaiManifest: ProviderManifest = {
  id: 'openai',
  label: 'OpenAI',
  description: 'GPT chat and reasoning models, embeddings, Whisper and GPT-4o transcription, and speech.',
  icon: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect width="24" height="24" rx="6" fill="#0f0f0f"/><path fill="none" stroke="#fff" stroke-width="1.6" d="M12 4.5l6.5 3.75v7.5L12 19.5l-6.5-3.75v-7.5z M12 4.5v7.5l6.5 3.75 M12 12l-6.5 3.75"/></svg>',
  helpUrl: 'https://platform.openai.com/api-keys',
  modelTypes: ['llm', 'text-embedding', 'speech2text', 'tts'],
  configurationMethods: ['predefined', 'customizable'],
  providerCredentialForm: [
    apiKeyField({ placeholder: 'sk-...' }),
    {
      id: 'organization_id',
      label: 'Organization ID',
      type: 'text',
      required: false,
      placeholder: 'org-...',
      help: 'Bills calls to this organization when the key belongs to several.',
    },
    {
      id: 'project_id',
      label: 'Project ID',
      type: 'text',
      required: false,
      placeholder: 'proj_...',
      help: 'Bills calls to this project.',
    },
    baseUrlField(OPENAI_BASE_URL),
    proxyUrlField,
  ],
  // Fine-tuned models (`ft:gpt-4o-mini:...`) are added by name with their own key.
  modelCredentialForm: [
    apiKeyField({ placeholder: 'sk-...' }),
    {
      id: 'organization_id',
      label: 'Organization ID',
      type: 'text',
      required: false,
      placeholder: 'org-...',
    },
    { id: 'project_id', label: 'Project ID', type: 'text', required: false, placeholder: 'proj_...' },
    baseUrlField(OPENAI_BASE_URL),
    proxyUrlField,
  ],
  models,
};
