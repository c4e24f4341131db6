import type { FormField, ProviderManifest } from '@switchboard/provider-spec';
import { proxyUrlField } from '../shared/fields.ts';

const endpointFields: FormField[] = [
  {
    id: 'base_url',
    label: 'API base URL',
    type: 'text',
    required: true,
    placeholder: 'http://127.0.0.1:8000/v1',
    help: 'The URL before /chat/completions: vLLM, LM Studio (:1234/v1), llama.cpp (:8080/v1), LocalAI, TGI...',
  },
  {
    id: 'api_key',
    label: 'API key',
    type: 'secret',
    required: false,
    help: 'Only when the server asks for one (vLLM --api-key, llama.cpp --api-key).',
  },
];

/** The generic OpenAI-compatible provider's catalog entry. */
export const openaiCompatibleManifest: ProviderManifest = {
  id: 'openai-compatible',
  label: 'OpenAI-compatible API',
  description:
    'Any server that speaks the OpenAI API: vLLM, LM Studio, llama.cpp, LocalAI, TGI, SGLang and more.',
  icon: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect width="24" height="24" rx="6" fill="#334155"/><path fill="none" stroke="#fff" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" d="M9 8l-4 4 4 4m6-8l4 4-4 4"/></svg>',
  helpUrl: 'https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html',
  modelTypes: ['llm', 'text-embedding', 'rerank', 'speech2text', 'tts'],
  configurationMethods: ['customizable', 'discoverable'],
  providerCredentialForm: [...endpointFields, proxyUrlField],
  modelCredentialForm: [
    ...endpointFields,
    {
      id: 'context_size',
      label: 'Context size',
      type: 'number',
      required: false,
      default: 4096,
      help: 'Tokens the model accepts (prompt and answer).',
    },
    { id: 'max_tokens', label: 'Max output tokens', type: 'number', required: false, placeholder: '4096' },
    { id: 'tool_call', label: 'Supports tool calls', type: 'switch', required: false, default: false },
    { id: 'vision', label: 'Accepts images', type: 'switch', required: false, default: false },
    {
      id: 'structured_output',
      label: 'Supports JSON schema output',
      type: 'switch',
      required: false,
      default: false,
    },
    proxyUrlField,
  ],
  models: [],
};
