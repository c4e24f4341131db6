import { describe, expect, it } from 'vitest';
import {
  CONFIGURATION_METHODS,
  MODEL_TYPES,
  type ModelType,
  PROVIDER_IDS,
  type ProviderAdapter,
} from '@switchboard/provider-spec';
import { createAzureOpenAIAdapter } from '../src/azure-openai/index.ts';
import { createDeepSeekAdapter } from '../src/deepseek/index.ts';
import { createGroqAdapter } from '../src/groq/index.ts';
import { createMistralAdapter } from '../src/mistral/index.ts';
import { createOpenAICompatibleAdapter } from '../src/openai-compatible/index.ts';
import { createOpenRouterAdapter } from '../src/openrouter/index.ts';
import { createXinferenceAdapter } from '../src/xinference/index.ts';
import { createOpenAIAdapter } from '../src/openai/index.ts';

const adapters = [
  createOpenAIAdapter(),
  createAzureOpenAIAdapter(),
  createMistralAdapter(),
  createDeepSeekAdapter(),
  createGroqAdapter(),
  createOpenRouterAdapter(),
  createXinferenceAdapter(),
  createOpenAICompatibleAdapter(),
];

const OPERATION: Record<ModelType, keyof ProviderAdapter> = {
  llm: 'chatStream',
  'text-embedding': 'embed',
  rerank: 'rerank',
  speech2text: 'transcribe',
  tts: 'speak',
};

describe.each(adapters.map((adapter) => [adapter.manifest.id, adapter] as const))(
  '%s manifest',
  (_id, adapter) => {
    const { manifest } = adapter;

    it('is a known provider with an icon, help link and valid methods', () => {
      expect(PROVIDER_IDS).toContain(manifest.id);
      expect(manifest.icon).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*>.*<\/svg>$/s);
      expect(manifest.icon.length).toBeLessThan(1000);
      expect(manifest.helpUrl).toMatch(/^https:\/\//);
      for (const method of manifest.configurationMethods) expect(CONFIGURATION_METHODS).toContain(method);
      expect(typeof adapter.discoverModels === 'function').toBe(
        manifest.configurationMethods.includes('discoverable'),
      );
    });

    it('offers an operation for every model type it declares', () => {
      for (const type of manifest.modelTypes) {
        expect(MODEL_TYPES).toContain(type);
        expect(typeof adapter[OPERATION[type]]).toBe('function');
        if (type === 'llm') expect(typeof adapter.chat).toBe('function');
      }
    });

    it('has snake_case form fields, with api_key and base_url', () => {
      const forms = [manifest.providerCredentialForm, manifest.modelCredentialForm].filter(
        (form) => form.length > 0,
      );
      expect(forms.length).toBeGreaterThan(0);
      for (const form of forms) {
        const ids = form.map((field) => field.id);
        expect(new Set(ids).size).toBe(ids.length);
        for (const id of ids) expect(id).toMatch(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
        expect(ids).toContain('api_key');
        expect(ids).toContain('base_url');
        expect(form.find((field) => field.id === 'api_key')?.type).toBe('secret');
        for (const field of form)
          if (field.type === 'select') expect(field.options?.length).toBeGreaterThan(0);
      }
      if (manifest.configurationMethods.includes('customizable'))
        expect(manifest.modelCredentialForm.length).toBeGreaterThan(0);
    });

    it('lists predefined models of declared types, with sane properties', () => {
      expect(manifest.models.length > 0).toBe(manifest.configurationMethods.includes('predefined'));
      const ids = manifest.models.map((model) => model.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const model of manifest.models) {
        expect(manifest.modelTypes).toContain(model.type);
        if (model.maxOutputTokens && model.contextSize)
          expect(model.maxOutputTokens).toBeLessThanOrEqual(model.contextSize);
        if (model.pricing) expect(model.pricing.inputPerMillion).toBeGreaterThan(0);
        if (model.type === 'llm') expect(model.features).toContain('streaming');
      }
    });
  },
);
