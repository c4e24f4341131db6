import type { FormField, ProviderManifest } from '@switchboard/provider-spec';
import { proxyUrlField } from '../shared/fields.ts';

/** Where a default Xinference supervisor listens. */
export const XINFERENCE_DEFAULT_URL = 'http://127.0.0.1:9997';

const form: FormField[] = [
  {
    id: 'base_url',
    label: 'Server URL',
    type: 'text',
    required: true,
    placeholder: XINFERENCE_DEFAULT_URL,
    help: 'The Xinference supervisor, without /v1.',
  },
  {
    id: 'api_key',
    label: 'API key',
    type: 'secret',
    required: false,
    help: 'Only when the server runs with authentication enabled.',
  },
  proxyUrlField,
];

/** Xinference's catalog entry: models are whatever the server runs, found by discovery or added by UID. */
export const xinferenceManifest: ProviderManifest = {
  id: 'xinference',
  label: 'Xorbits Inference',
  description:
    'Self-hosted Xinference: chat, embedding, rerank and audio models launched on your own hardware.',
  icon: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect width="24" height="24" rx="6" fill="#7b3fe4"/><path fill="none" stroke="#fff" stroke-width="2.2" stroke-linecap="round" d="M7 7l10 10M17 7L7 17"/></svg>',
  helpUrl: 'https://inference.readthedocs.io/en/latest/getting_started/using_xinference.html',
  modelTypes: ['llm', 'text-embedding', 'rerank', 'speech2text', 'tts'],
  configurationMethods: ['customizable', 'discoverable'],
  providerCredentialForm: form,
  modelCredentialForm: form,
  models: [],
};
