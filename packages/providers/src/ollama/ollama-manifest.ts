import type { FormField, ProviderManifest } from '@switchboard/provider-spec';
import { apiKeyField, baseUrlField, proxyUrlField } from '../shared/fields.ts';

/** Where a local Ollama listens unless told otherwise. */
export const OLLAMA_DEFAULT_BASE_URL = 'http://127.0.0.1:11434';

// The same three fields for the provider and for one custom model: a custom model may live on
// another Ollama host than the one models are discovered from.
const credentialForm: FormField[] = [
  baseUrlField(OLLAMA_DEFAULT_BASE_URL, {
    default: OLLAMA_DEFAULT_BASE_URL,
    help: 'Where the Ollama server listens, without /api or /v1.',
  }),
  apiKeyField({
    label: 'API key',
    required: false,
    help: 'Only for a proxy in front of Ollama that asks for a Bearer token; a local Ollama needs none.',
  }),
  proxyUrlField,
];

const icon =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" ' +
  'stroke-width="1.5" stroke-linecap="round" stroke-linejoin="round"><title>Ollama</title>' +
  '<path d="M8 7V3.5a1.5 1.5 0 0 1 3 0V6"/><path d="M16 7V3.5a1.5 1.5 0 0 0-3 0V6"/>' +
  '<path d="M6 14c0-4 2.7-7 6-7s6 3 6 7v6H6z"/><circle cx="9.5" cy="12.5" r=".8" fill="currentColor"/>' +
  '<circle cx="14.5" cy="12.5" r=".8" fill="currentColor"/><path d="M10.5 16h3"/></svg>';

/** Ollama: local models, discovered from the server or added by name. */
export const ollamaManifest: ProviderManifest = {
  id: 'ollama',
  label: 'Ollama',
  description: 'Models served by a local or self-hosted Ollama server.',
  icon,
  helpUrl: 'https://github.com/ollama/ollama/blob/main/docs/api.md',
  modelTypes: ['llm', 'text-embedding'],
  configurationMethods: ['customizable', 'discoverable'],
  providerCredentialForm: credentialForm,
  modelCredentialForm: credentialForm,
  models: [],
};
