// The adapters. Only the composition root (apps/server) imports this; everything else depends on
// @switchboard/provider-spec.
export { createAllAdapters } from './registry.ts';
export { DEFAULT_TIMEOUTS, type HttpSettings, type HttpTimeouts, sharedDispatcher } from './shared/http.ts';
export { encodeSseData, parseSse, SSE_DONE } from './shared/sse.ts';
