export { createAllAdapters } from './registry.ts';
export { DEFAULT_TIMEOUTS, type HttpSettings, type HttpTimeouts, sharedDispatcher } from './shared/http.ts';
export { parseSse, SSE_DONE, encodeSseData } from './shared/sse.ts';
export * from '@switchboard/provider-spec';
