import type { ModelFeature, ModelInfo, ProviderManifest } from '@switchboard/provider-spec';
import { apiKeyField, baseUrlField, proxyUrlField } from '../shared/fields.ts';
import { chatModelEntry } from '../shared/model-info.ts';

/** Groq's default API base. */
export const GROQ_BASE_URL = 'https://api.groq.com/openai/v1';

const TOOLS: ModelFeature[] = ['tool-call', 'structured-output', 'streaming'];

const llm = chatModelEntry(TOOLS);

// Context windows from Groq's model pages; prices in USD per million tokens from groq.com/pricing.
const models: ModelInfo[] = [
  llm('llama-3.3-70b-versatile', 131_072, 32_768, 0.59, 0.79),
  llm('llama-3.1-8b-instant', 131_072, 131_072, 0.05, 0.08),
  llm('openai/gpt-oss-120b', 131_072, 65_536, 0.15, 0.75, [...TOOLS, 'reasoning']),
  llm('openai/gpt-oss-20b', 131_072, 65_536, 0.1, 0.5, [...TOOLS, 'reasoning']),
  llm('meta-llama/llama-4-maverick-17b-128e-instruct', 131_072, 8_192, 0.2, 0.6, [...TOOLS, 'vision']),
  llm('meta-llama/llama-4-scout-17b-16e-instruct', 131_072, 8_192, 0.11, 0.34, [...TOOLS, 'vision']),
  llm('qwen/qwen3-32b', 131_072, 40_960, 0.29, 0.59, [...TOOLS, 'reasoning']),
  llm('moonshotai/kimi-k2-instruct-0905', 262_144, 16_384, 1, 3),
  { id: 'whisper-large-v3', type: 'speech2text' },
  { id: 'whisper-large-v3-turbo', type: 'speech2text' },
];

/** Groq's catalog entry. */
export const groqManifest: ProviderManifest = {
  id: 'groq',
  label: 'Groq',
  description: 'Fast inference of open models (Llama, GPT-OSS, Qwen, Kimi) and Whisper transcription.',
  icon: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect width="24" height="24" rx="6" fill="#f55036"/><path fill="none" stroke="#fff" stroke-width="2" d="M15.5 15.5A5 5 0 1 1 17 12v6"/></svg>',
  helpUrl: 'https://console.groq.com/keys',
  modelTypes: ['llm', 'speech2text'],
  configurationMethods: ['predefined', 'customizable'],
  providerCredentialForm: [
    apiKeyField({ placeholder: 'gsk_...' }),
    baseUrlField(GROQ_BASE_URL),
    proxyUrlField,
  ],
  modelCredentialForm: [apiKeyField({ placeholder: 'gsk_...' }), baseUrlField(GROQ_BASE_URL), proxyUrlField],
  models,
};
