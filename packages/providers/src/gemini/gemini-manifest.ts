import type { ModelFeature, ModelInfo, ProviderManifest } from '@switchboard/provider-spec';
import { apiKeyField, baseUrlField, proxyUrlField } from '../shared/fields.ts';
import { GEMINI_VOICES } from './gemini-speech.ts';

/** Where the Generative Language API lives unless a credential says otherwise (the path adds `/v1beta`). */
export const GEMINI_DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com';

const CHAT_FEATURES: ModelFeature[] = [
  'tool-call',
  'vision',
  'structured-output',
  'streaming',
  'reasoning',
  'audio-input',
  'document',
];

const gemini = (id: string, label: string, inputPerMillion: number, outputPerMillion: number): ModelInfo => ({
  id,
  label,
  type: 'llm',
  contextSize: 1_048_576,
  maxOutputTokens: 65_536,
  features: CHAT_FEATURES,
  pricing: { inputPerMillion, outputPerMillion },
});

// Prices are the standard (prompts up to 200k tokens) text rates from ai.google.dev, November 2026.
const MODELS: ModelInfo[] = [
  gemini('gemini-3.8-flash', 'Gemini 3.8 Flash', 0.75, 3.75),
  gemini('gemini-3.6-flash', 'Gemini 3.6 Flash', 1.5, 7.5),
  gemini('gemini-3.5-flash-lite', 'Gemini 3.5 Flash-Lite', 0.3, 2.5),
  gemini('gemini-3.1-pro-preview', 'Gemini 3.1 Pro Preview', 2, 12),
  gemini('gemini-2.5-pro', 'Gemini 2.5 Pro', 1.25, 10),
  gemini('gemini-2.5-flash', 'Gemini 2.5 Flash', 0.3, 2.5),
  gemini('gemini-2.5-flash-lite', 'Gemini 2.5 Flash-Lite', 0.1, 0.4),
  {
    id: 'gemini-embedding-001',
    label: 'Gemini Embedding 001',
    type: 'text-embedding',
    contextSize: 2048,
    dimensions: 3072,
    pricing: { inputPerMillion: 0.15 },
  },
  {
    id: 'text-embedding-004',
    label: 'Text Embedding 004',
    type: 'text-embedding',
    contextSize: 2048,
    dimensions: 768,
  },
  { id: 'gemini-3.8-flash-tts', label: 'Gemini 3.8 Flash TTS', type: 'tts', voices: GEMINI_VOICES },
  { id: 'gemini-3.8-flash-lite-tts', label: 'Gemini 3.8 Flash-Lite TTS', type: 'tts', voices: GEMINI_VOICES },
];

const ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="currentColor"><path d="M12 2c.5 5.2 4.8 9.5 10 10-5.2.5-9.5 4.8-10 10-.5-5.2-4.8-9.5-10-10 5.2-.5 9.5-4.8 10-10z"/></svg>';

/** Gemini's catalog entry: chat and embeddings over the Gemini Developer API. */
export const geminiManifest: ProviderManifest = {
  id: 'gemini',
  label: 'Google Gemini',
  description: 'Gemini chat, embedding and speech models through the Gemini Developer API.',
  icon: ICON,
  helpUrl: 'https://aistudio.google.com/app/apikey',
  modelTypes: ['llm', 'text-embedding', 'tts'],
  configurationMethods: ['predefined', 'customizable'],
  providerCredentialForm: [
    apiKeyField({ placeholder: 'AIza...', help: 'Create a key in Google AI Studio.' }),
    baseUrlField(GEMINI_DEFAULT_BASE_URL),
    proxyUrlField,
  ],
  modelCredentialForm: [
    apiKeyField({ placeholder: 'AIza...' }),
    baseUrlField(GEMINI_DEFAULT_BASE_URL),
    proxyUrlField,
  ],
  models: MODELS,
};
