// The OpenAI-compatible base: the OpenAI wire (requests, streams, errors, model lists) that the
// OpenAI-family adapters (openai, azure-openai, mistral, deepseek, groq, openrouter, xinference)
// build on, and the adapter for any other OpenAI-compatible server (vLLM, LM Studio, llama.cpp...).
export { bearer, bearerEndpoint, OPERATION_PATHS } from './openai-compatible-auth.ts';
export { createOpenAICompatibleAdapter } from './openai-compatible-adapter.ts';
export { readOpenAIErrorBody } from './openai-compatible-errors.ts';
export { openaiCompatibleManifest } from './openai-compatible-manifest.ts';
export {
  guessModelType,
  modelInfoFromListing,
  readModelList,
  type UpstreamModel,
  visiblePredefinedModels,
} from './openai-compatible-models.ts';
export { multipartBody } from './openai-compatible-multipart.ts';
export { type ChunkRepair, passThroughSse } from './openai-compatible-stream.ts';
export { readUsage } from './openai-compatible-usage.ts';
export {
  createOpenAIWire,
  type OpenAIWire,
  type OpenAIWireOptions,
  silentWav,
  type WireEndpoint,
  type WireOperation,
  withField,
} from './openai-compatible-wire.ts';
