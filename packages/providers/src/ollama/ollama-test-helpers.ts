import type { FakeUpstream } from '@switchboard/test-utils';
import { Agent } from 'undici';
import type { CallContext, CredentialValues, ProviderAdapter } from '@switchboard/provider-spec';
import type { HttpTimeouts } from '../shared/http.ts';
import { createOllamaAdapter } from './index.ts';

/** An adapter with its own dispatcher, so a test's connections never mix with another's. */
export function testAdapter(timeouts?: Partial<HttpTimeouts>): {
  adapter: ProviderAdapter;
  close(): Promise<void>;
} {
  const dispatcher = new Agent({ keepAliveTimeout: 1_000 });
  return {
    adapter: createOllamaAdapter({ dispatcher, ...(timeouts ? { timeouts } : {}) }),
    close: () => dispatcher.close(),
  };
}

/** Call context pointing at the fake upstream. */
export function contextFor(
  upstream: FakeUpstream,
  extra: CredentialValues = {},
  signal?: AbortSignal,
): CallContext {
  return {
    credentials: { base_url: upstream.url, ...extra },
    signal: signal ?? new AbortController().signal,
  };
}

/** The `data:` payloads of an OpenAI SSE body, JSON-parsed except the final `[DONE]`. */
export function sseData(text: string): unknown[] {
  return text
    .split('\n\n')
    .filter((event) => event.length > 0)
    .map((event) => {
      if (!event.startsWith('data: ')) throw new Error(`not an SSE data event: ${event}`);
      const data = event.slice('data: '.length);
      return data === '[DONE]' ? data : JSON.parse(data);
    });
}

/** Awaits a promise that must reject, and returns what it rejected with. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
