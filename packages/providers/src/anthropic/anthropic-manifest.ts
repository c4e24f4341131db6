import type { ModelFeature, ModelInfo, ProviderManifest } from '@switchboard/provider-spec';
import { apiKeyField, baseUrlField, proxyUrlField } from '../shared/fields.ts';

/** Where the Messages API lives unless a credential says otherwise. */
export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';

/** The API version every request pins; newer versions change response shapes. */
export const ANTHROPIC_VERSION = '2023-06-01';

/** Output budget used when neither the request nor the manifest knows the model. */
export const ANTHROPIC_FALLBACK_MAX_TOKENS = 4096;

const CHAT_FEATURES: ModelFeature[] = [
  'tool-call',
  'vision',
  'structured-output',
  'streaming',
  'reasoning',
  'document',
];

const claude = (
  id: string,
  label: string,
  contextSize: number,
  maxOutputTokens: number,
  inputPerMillion: number,
  outputPerMillion: number,
  features: ModelFeature[] = CHAT_FEATURES,
): ModelInfo => ({
  id,
  label,
  type: 'llm',
  contextSize,
  maxOutputTokens,
  features,
  pricing: { inputPerMillion, outputPerMillion },
});

// Figures from platform.claude.com model pages (November 2026); legacy models stay while Anthropic serves them.
const MODELS: ModelInfo[] = [
  claude('claude-fable-5-1', 'Claude Fable 5.1', 1_000_000, 128_000, 10, 50),
  claude('claude-opus-5-5', 'Claude Opus 5.5', 1_000_000, 128_000, 4, 20),
  claude('claude-sonnet-5-5', 'Claude Sonnet 5.5', 1_000_000, 128_000, 2, 10),
  claude('claude-haiku-5-5', 'Claude Haiku 5.5', 1_000_000, 128_000, 0.1, 0.5),
  claude('claude-opus-5', 'Claude Opus 5', 1_000_000, 128_000, 5, 25),
  claude('claude-sonnet-5', 'Claude Sonnet 5', 1_000_000, 128_000, 2, 10),
  claude('claude-opus-4-6', 'Claude Opus 4.6', 1_000_000, 128_000, 5, 25),
  claude('claude-haiku-4-5-20251001', 'Claude Haiku 4.5', 200_000, 64_000, 1, 5, [
    'tool-call',
    'vision',
    'streaming',
    'reasoning',
    'document',
  ]),
];

const ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="currentColor"><path d="M13.83 3.5h-3.66L3.5 20.5h3.74l1.36-3.6h6.8l1.36 3.6h3.74L13.83 3.5zm-4.05 10.3L12 7.92l2.22 5.88H9.78z"/></svg>';

/** Anthropic's catalog entry: Claude chat models over the Messages API. */
export const anthropicManifest: ProviderManifest = {
  id: 'anthropic',
  label: 'Anthropic',
  description: 'Claude models through the Anthropic Messages API.',
  icon: ICON,
  helpUrl: 'https://console.anthropic.com/settings/keys',
  modelTypes: ['llm'],
  configurationMethods: ['predefined', 'customizable'],
  providerCredentialForm: [
    apiKeyField({ placeholder: 'sk-ant-...', help: 'Create a key in the Anthropic Console.' }),
    baseUrlField(ANTHROPIC_DEFAULT_BASE_URL),
    proxyUrlField,
  ],
  modelCredentialForm: [
    apiKeyField({ placeholder: 'sk-ant-...' }),
    baseUrlField(ANTHROPIC_DEFAULT_BASE_URL),
    proxyUrlField,
  ],
  models: MODELS,
};

const maxOutputById = new Map(
  MODELS.map((model) => [model.id, model.maxOutputTokens ?? ANTHROPIC_FALLBACK_MAX_TOKENS]),
);

/** `max_tokens` to send when the caller gave none: the model's own output limit. */
export function defaultMaxTokens(model: string): number {
  return maxOutputById.get(model) ?? ANTHROPIC_FALLBACK_MAX_TOKENS;
}

// Manifest models released after Claude Opus 4.6, which reject temperature, top_p and top_k.
const FIXED_SAMPLING = new Set([
  'claude-fable-5-1',
  'claude-opus-5-5',
  'claude-sonnet-5-5',
  'claude-haiku-5-5',
  'claude-opus-5',
  'claude-sonnet-5',
]);

/** False for models that refuse sampling settings; custom models are trusted to accept them. */
export function acceptsSampling(model: string): boolean {
  return !FIXED_SAMPLING.has(model);
}
