import type { ProviderAdapter } from '@switchboard/provider-spec';
import { createAnthropicAdapter } from './anthropic/index.ts';
import { createAzureOpenAIAdapter } from './azure-openai/index.ts';
import { createCohereAdapter } from './cohere/index.ts';
import { createDeepSeekAdapter } from './deepseek/index.ts';
import { createGeminiAdapter } from './gemini/index.ts';
import { createGroqAdapter } from './groq/index.ts';
import { createJinaAdapter } from './jina/index.ts';
import { createMistralAdapter } from './mistral/index.ts';
import { createOllamaAdapter } from './ollama/index.ts';
import { createOpenAIAdapter } from './openai/index.ts';
import { createOpenAICompatibleAdapter } from './openai-compatible/index.ts';
import { createOpenRouterAdapter } from './openrouter/index.ts';
import { createVoyageAdapter } from './voyage/index.ts';
import { createXinferenceAdapter } from './xinference/index.ts';
import type { HttpSettings } from './shared/http.ts';

/** Every adapter this build ships, in catalog order. The server wires these into core. */
export function createAllAdapters(settings: HttpSettings = {}): ProviderAdapter[] {
  return [
    createOpenAIAdapter(settings),
    createAzureOpenAIAdapter(settings),
    createAnthropicAdapter(settings),
    createGeminiAdapter(settings),
    createMistralAdapter(settings),
    createDeepSeekAdapter(settings),
    createGroqAdapter(settings),
    createOpenRouterAdapter(settings),
    createCohereAdapter(settings),
    createJinaAdapter(settings),
    createVoyageAdapter(settings),
    createOllamaAdapter(settings),
    createXinferenceAdapter(settings),
    createOpenAICompatibleAdapter(settings),
  ];
}
