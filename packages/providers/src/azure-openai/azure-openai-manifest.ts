import type { ProviderManifest } from '@switchboard/provider-spec';
import { apiKeyField, proxyUrlField } from '../shared/fields.ts';

/** The newest dated GA api-version of the data-plane inference API. */
export const AZURE_DEFAULT_API_VERSION = '2024-10-21';

/** Azure OpenAI's catalog entry: every model is a deployment the admin names. */
export const azureOpenAIManifest: ProviderManifest = {
  id: 'azure-openai',
  label: 'Azure OpenAI',
  description: 'OpenAI models deployed in your own Azure subscription and region.',
  icon: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect width="24" height="24" rx="6" fill="#0078d4"/><path fill="#fff" d="M10.2 5h4.1L9.1 19H5zm4.9 4.2L19 19h-8.4l6-1.8z"/></svg>',
  helpUrl: 'https://learn.microsoft.com/azure/ai-services/openai/how-to/create-resource',
  modelTypes: ['llm', 'text-embedding', 'speech2text', 'tts'],
  configurationMethods: ['customizable'],
  providerCredentialForm: [],
  modelCredentialForm: [
    {
      id: 'base_url',
      label: 'Endpoint',
      type: 'text',
      required: true,
      placeholder: 'https://my-resource.openai.azure.com',
      help: 'The resource endpoint from Keys and Endpoint in the Azure portal.',
    },
    apiKeyField({ help: 'KEY 1 or KEY 2 of the resource.' }),
    {
      id: 'deployment_name',
      label: 'Deployment name',
      type: 'text',
      required: false,
      placeholder: 'gpt-4o-prod',
      help: 'The deployment that serves this model; leave empty when it has the model name.',
    },
    {
      id: 'api_version',
      label: 'API version',
      type: 'select',
      required: true,
      default: AZURE_DEFAULT_API_VERSION,
      options: [
        { value: '2024-10-21', label: '2024-10-21 (GA)' },
        { value: '2024-06-01', label: '2024-06-01 (GA)' },
        { value: '2025-04-01-preview', label: '2025-04-01-preview' },
      ],
    },
    proxyUrlField,
  ],
  models: [],
};
