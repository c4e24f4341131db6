import type { FormField, ModelFeature, ModelInfo, ProviderManifest } from '@switchboard/provider-spec';
import { apiKeyField, baseUrlField, proxyUrlField } from '../shared/fields.ts';
import { chatModelEntry } from '../shared/model-info.ts';

/** OpenRouter's default API base. */
export const OPENROUTER_BASE_URL = 'https://openrouter.ai/api/v1';

const CHAT: ModelFeature[] = ['tool-call', 'vision', 'structured-output', 'streaming'];

const llm = chatModelEntry(CHAT);

// A starter set; any `author/slug` from openrouter.ai/models can be added as a custom model.
// Prices in USD per million tokens as OpenRouter lists them (the providers' own prices).
const models: ModelInfo[] = [
  llm('openai/gpt-4.1', 1_047_576, 32_768, 2, 8),
  llm('openai/gpt-4o-mini', 128_000, 16_384, 0.15, 0.6),
  llm('anthropic/claude-sonnet-4', 200_000, 64_000, 3, 15, [...CHAT, 'reasoning']),
  llm('google/gemini-2.5-pro', 1_048_576, 65_536, 1.25, 10, [...CHAT, 'reasoning']),
  llm('google/gemini-2.5-flash', 1_048_576, 65_535, 0.3, 2.5, [...CHAT, 'reasoning']),
  llm('deepseek/deepseek-chat-v3.1', 163_840, 163_840, 0.2, 0.8, [
    'tool-call',
    'structured-output',
    'streaming',
  ]),
  {
    id: 'meta-llama/llama-3.3-70b-instruct',
    type: 'llm',
    contextSize: 131_072,
    features: ['tool-call', 'streaming'],
  },
];

const attribution: FormField[] = [
  {
    id: 'site_url',
    label: 'App URL',
    type: 'text',
    required: false,
    placeholder: 'https://switchboard.example',
    help: 'Sent as HTTP-Referer so OpenRouter attributes usage to your app.',
  },
  {
    id: 'app_name',
    label: 'App name',
    type: 'text',
    required: false,
    placeholder: 'Switchboard',
    help: 'Sent as X-Title, shown in OpenRouter rankings and activity.',
  },
];

/** OpenRouter's catalog entry. */
export const openrouterManifest: ProviderManifest = {
  id: 'openrouter',
  label: 'OpenRouter',
  description: 'Hundreds of models from many providers behind one key, with routing and fallbacks.',
  icon: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect width="24" height="24" rx="6" fill="#6467f2"/><path fill="none" stroke="#fff" stroke-width="1.8" d="M4 12h4c3 0 3-5 6-5h3M8 12c3 0 3 5 6 5h3"/><path fill="#fff" d="M17 4.5 20.5 7 17 9.5zm0 10 3.5 2.5-3.5 2.5z"/></svg>',
  helpUrl: 'https://openrouter.ai/settings/keys',
  modelTypes: ['llm'],
  configurationMethods: ['predefined', 'customizable'],
  providerCredentialForm: [
    apiKeyField({ placeholder: 'sk-or-v1-...' }),
    ...attribution,
    baseUrlField(OPENROUTER_BASE_URL),
    proxyUrlField,
  ],
  modelCredentialForm: [
    apiKeyField({ placeholder: 'sk-or-v1-...' }),
    ...attribution,
    baseUrlField(OPENROUTER_BASE_URL),
    proxyUrlField,
  ],
  models,
};
