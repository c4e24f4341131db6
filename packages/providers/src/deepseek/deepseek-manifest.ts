import type { ProviderManifest } from '@switchboard/provider-spec';
import { apiKeyField, baseUrlField, proxyUrlField } from '../shared/fields.ts';

/** DeepSeek's default API base (the OpenAI SDK base; `/v1` also answers). */
export const DEEPSEEK_BASE_URL = 'https://api.deepseek.com';

/** DeepSeek's catalog entry. Prices in USD per million tokens (cache miss) from api-docs.deepseek.com. */
export const deepseekManifest: ProviderManifest = {
  id: 'deepseek',
  label: 'DeepSeek',
  description: 'DeepSeek chat and reasoning models.',
  icon: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect width="24" height="24" rx="6" fill="#4d6bfe"/><path fill="#fff" d="M19 8.5c-.6.3-1.1.2-1.5-.2-1.8 4.9-6.2 7.6-11.5 5.7 2.4 3.5 8.1 4.5 11.3 1.1 1.4-1.5 2-3.6 1.7-6.6z"/><circle cx="9" cy="9" r="1.2" fill="#fff"/></svg>',
  helpUrl: 'https://platform.deepseek.com/api_keys',
  modelTypes: ['llm'],
  configurationMethods: ['predefined', 'customizable'],
  providerCredentialForm: [
    apiKeyField({ placeholder: 'sk-...' }),
    baseUrlField(DEEPSEEK_BASE_URL),
    proxyUrlField,
  ],
  modelCredentialForm: [
    apiKeyField({ placeholder: 'sk-...' }),
    baseUrlField(DEEPSEEK_BASE_URL),
    proxyUrlField,
  ],
  models: [
    {
      id: 'deepseek-chat',
      label: 'DeepSeek Chat (non-thinking)',
      type: 'llm',
      contextSize: 128_000,
      maxOutputTokens: 8_192,
      features: ['tool-call', 'structured-output', 'streaming'],
      pricing: { inputPerMillion: 0.28, outputPerMillion: 0.42 },
    },
    {
      id: 'deepseek-reasoner',
      label: 'DeepSeek Reasoner (thinking)',
      type: 'llm',
      contextSize: 128_000,
      maxOutputTokens: 65_536,
      features: ['tool-call', 'structured-output', 'streaming', 'reasoning'],
      pricing: { inputPerMillion: 0.28, outputPerMillion: 0.42 },
    },
  ],
};
