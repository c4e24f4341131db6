import { closedPort, type FakeUpstream, fixture, startFakeUpstream } from '@switchboard/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BadRequestError,
  type ChatRequest,
  InvalidCredentialsError,
  MalformedResponseError,
  ModelNotFoundError,
  type ProviderAdapter,
  RateLimitedError,
  TimeoutError,
  UpstreamUnavailableError,
} from '@switchboard/provider-spec';
import { contextFor, failure, isolatedAdapter } from '../../test/provider-test-kit.ts';
import { createOllamaAdapter } from './index.ts';

const API_KEY = 'sk-test-ollama-proxy-0001';
const request: ChatRequest = { model: 'llama3:70b', messages: [{ role: 'user', content: 'hi' }] };

describe('ollama errors', () => {
  let upstream: FakeUpstream;
  let adapter: ProviderAdapter;
  let close: () => Promise<void>;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    ({ adapter, close } = isolatedAdapter(createOllamaAdapter));
  });
  afterEach(() => upstream.reset());
  afterAll(async () => {
    await close();
    await upstream.close();
  });

  const cases: [string, number, string, new (...args: never[]) => Error, Record<string, unknown>][] = [
    [
      '400 (model without tool support)',
      400,
      fixture(import.meta.url, 'error-no-tools.json'),
      BadRequestError,
      {
        code: 'bad_request',
        field: 'tools',
        upstreamMessage: 'registry.ollama.ai/library/gemma:2b does not support tools',
      },
    ],
    [
      '404 (model not pulled)',
      404,
      fixture(import.meta.url, 'error-model-not-found.json'),
      ModelNotFoundError,
      { code: 'model_not_found', field: 'model', message: "Ollama: model 'llama3:70b' not found" },
    ],
    [
      '401 (proxy rejects the key)',
      401,
      '{"error":"unauthorized"}',
      InvalidCredentialsError,
      { field: 'api_key' },
    ],
    [
      '429 (queue full)',
      429,
      '{"error":"server busy, please try again.  maximum pending requests exceeded"}',
      RateLimitedError,
      {},
    ],
    [
      '500',
      500,
      '{"error":"llama runner process has terminated: signal: killed"}',
      UpstreamUnavailableError,
      { status: 500 },
    ],
    [
      '503 with a non-JSON body',
      503,
      '<html><body>Bad Gateway</body></html>',
      UpstreamUnavailableError,
      { status: 503 },
    ],
  ];

  for (const [name, status, body, errorClass, fields] of cases) {
    it(`maps ${name} for chat, chatStream and embed`, async () => {
      upstream.route('POST', '/api/chat', { status, headers: { 'content-type': 'application/json' }, body });
      upstream.route('POST', '/api/embed', { status, headers: { 'content-type': 'application/json' }, body });
      const context = contextFor(upstream, { api_key: API_KEY });
      for (const call of [
        adapter.chat!(request, context),
        adapter.chatStream!({ ...request, stream: true }, context),
        adapter.embed!({ model: 'llama3:70b', input: 'hi' }, context),
      ]) {
        const error = await failure(call);
        expect(error).toBeInstanceOf(errorClass);
        expect(error).toMatchObject({ provider: 'ollama', status, ...fields });
        expect(String((error as Error).message)).not.toContain(API_KEY);
      }
    });
  }

  it('keeps the api key out of messages even when the upstream echoes it', async () => {
    upstream.route('POST', '/api/chat', { status: 401, json: { error: `invalid token ${API_KEY}` } });
    const error = (await failure(
      adapter.chat!(request, contextFor(upstream, { api_key: API_KEY })),
    )) as Error & {
      upstreamMessage: string;
    };
    expect(error.message).not.toContain(API_KEY);
    expect(error.upstreamMessage).toBe('invalid token [redacted]');
  });

  it('maps a 200 body that is not JSON to MalformedResponseError', async () => {
    upstream.route('POST', '/api/chat', { body: 'Ollama is running' });
    const error = await failure(adapter.chat!(request, contextFor(upstream)));
    expect(error).toBeInstanceOf(MalformedResponseError);
    expect(error).toMatchObject({ upstreamMessage: 'Ollama is running' });
  });

  it('maps a 200 JSON body without a message to MalformedResponseError', async () => {
    upstream.route('POST', '/api/chat', { json: { models: [] } });
    expect(await failure(adapter.chat!(request, contextFor(upstream)))).toBeInstanceOf(
      MalformedResponseError,
    );
  });

  it('maps no answer within the first-byte timeout to TimeoutError', async () => {
    // Only this test is impatient: on a loaded machine a real answer can take longer than 300 ms.
    const impatient = isolatedAdapter(createOllamaAdapter, { firstByteMs: 300 });
    upstream.route('POST', '/api/chat', { hang: true });
    const error = await failure(impatient.adapter.chat!(request, contextFor(upstream))).finally(
      impatient.close,
    );
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ code: 'timeout', provider: 'ollama' });
  });

  it('maps a refused connection to UpstreamUnavailableError blaming base_url', async () => {
    const port = await closedPort();
    const context = {
      credentials: { base_url: `http://127.0.0.1:${port}` },
      signal: new AbortController().signal,
    };
    for (const call of [
      adapter.chat!(request, context),
      adapter.chatStream!(request, context),
      adapter.discoverModels!(context),
    ]) {
      const error = await failure(call);
      expect(error).toBeInstanceOf(UpstreamUnavailableError);
      expect(error).toMatchObject({ code: 'upstream_unavailable', field: 'base_url' });
    }
  });
});
