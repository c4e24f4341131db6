import { type FakeUpstream, fixture, splitBytes, startFakeUpstream } from '@switchboard/test-utils';
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  InvalidCredentialsError,
  ModelNotFoundError,
  QuotaExceededError,
  UpstreamUnavailableError,
} from '@switchboard/provider-spec';
import {
  callContext,
  collect,
  defineErrorTests,
  failure,
  streamFailure,
} from '../../test/provider-test-kit.ts';
import { createOpenRouterAdapter } from './index.ts';

const KEY = 'sk-or-v1-test-0001';
const load = (name: string) => JSON.parse(fixture(import.meta.url, name)) as Record<string, unknown>;
let upstream: FakeUpstream;
let dispatcher: Agent;
const adapter = () => createOpenRouterAdapter({ dispatcher });
const credentials = (extra: Record<string, string> = {}) => ({
  api_key: KEY,
  base_url: `${upstream.url}/api/v1`,
  ...extra,
});
const request = {
  model: 'openai/gpt-4o-mini',
  messages: [{ role: 'user' as const, content: 'Capital of France?' }],
};

beforeAll(async () => {
  upstream = await startFakeUpstream();
  dispatcher = new Agent();
});
afterAll(async () => {
  await upstream.close();
  await dispatcher.close();
});
beforeEach(() => upstream.reset());

describe('OpenRouter', () => {
  it('sends the attribution headers and returns the completion with usage', async () => {
    upstream.route('POST', '/api/v1/chat/completions', { json: load('chat.json') });
    const result = await adapter().chat!(
      request,
      callContext(credentials({ site_url: 'https://switchboard.example', app_name: 'Switchboard' })),
    );
    const sent = upstream.requests[0]!;
    expect(sent.url).toBe('/api/v1/chat/completions');
    expect(sent.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent.headers['http-referer']).toBe('https://switchboard.example');
    expect(sent.headers['x-title']).toBe('Switchboard');
    expect(sent.json()).toEqual(request);
    expect(result.completion).toEqual(load('chat.json'));
    expect(result.usage).toEqual({
      prompt_tokens: 14,
      completion_tokens: 2,
      total_tokens: 16,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
  });

  it('streams through, processing comment included', async () => {
    const sse = fixture(import.meta.url, 'chat.sse');
    upstream.route('POST', '/api/v1/chat/completions', { chunks: splitBytes(sse, 17) });
    const stream = await adapter().chatStream!(request, callContext(credentials()));
    expect((await collect(stream.body)).toString('utf8')).toBe(sse);
    expect(upstream.requests[0]!.headers['http-referer']).toBeUndefined();
    expect(stream.usage()).toEqual({
      prompt_tokens: 14,
      completion_tokens: 2,
      total_tokens: 16,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
  });

  it('turns a mid-stream provider error into UpstreamUnavailableError with its status', async () => {
    const sse = fixture(import.meta.url, 'chat-error.sse');
    upstream.route('POST', '/api/v1/chat/completions', { chunks: splitBytes(sse, 40) });
    const stream = await adapter().chatStream!(request, callContext(credentials()));
    const { error, read } = await streamFailure(stream.body);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error.status).toBe(502);
    expect(error.upstreamMessage).toBe('Provider disconnected unexpectedly');
    expect(read.toString('utf8')).toBe(sse.split('\n\n').slice(0, 2).join('\n\n') + '\n\n');
  });

  it('fails a 200 answer whose choice carries an error', async () => {
    upstream.route('POST', '/api/v1/chat/completions', {
      json: {
        id: 'gen-1',
        object: 'chat.completion',
        created: 1,
        model: 'openai/gpt-4o',
        choices: [
          {
            index: 0,
            finish_reason: 'error',
            message: { role: 'assistant', content: '' },
            error: { code: 502, message: 'Upstream error' },
          },
        ],
      },
    });
    expect(await failure(adapter().chat!(request, callContext(credentials())))).toBeInstanceOf(
      UpstreamUnavailableError,
    );
  });

  it('proves the key with GET /key, not the public model list', async () => {
    upstream.route('GET', '/api/v1/key', { json: load('key.json') });
    expect(await adapter().validateCredentials(callContext(credentials()))).toEqual({});
    expect(upstream.requests.map((r) => `${r.method} ${r.url} ${r.headers.authorization}`)).toEqual([
      `GET /api/v1/key Bearer ${KEY}`,
    ]);
    upstream.route('GET', '/api/v1/key', {
      status: 401,
      json: { error: { message: 'User not found.', code: 401 } },
    });
    const error = await failure(adapter().validateCredentials(callContext(credentials())));
    expect(error).toBeInstanceOf(InvalidCredentialsError);
    expect(error.field).toBe('api_key');
  });

  it('checks a custom model against the model list, then probes it', async () => {
    upstream.route('GET', '/api/v1/key', { json: load('key.json') });
    upstream.route('GET', '/api/v1/models', { json: load('models.json') });
    const found = await adapter().validateCredentials(callContext(credentials()), {
      model: 'mistralai/mistral-nemo',
      type: 'llm',
    });
    expect(found.models?.map((model) => model.id)).toEqual(['openai/gpt-4o-mini']);
    upstream.route('POST', '/api/v1/chat/completions', { status: 404, json: load('errors.json')['404'] });
    const error = await failure(
      adapter().validateCredentials(callContext(credentials()), { model: 'acme/unknown-model', type: 'llm' }),
    );
    expect(error).toBeInstanceOf(ModelNotFoundError);
    expect(error.field).toBe('model');
  });

  it('maps 402 to QuotaExceededError', async () => {
    upstream.route('POST', '/api/v1/chat/completions', { status: 402, json: load('errors.json')['402'] });
    expect(await failure(adapter().chat!(request, callContext(credentials())))).toBeInstanceOf(
      QuotaExceededError,
    );
  });

  defineErrorTests({
    upstream: () => upstream,
    adapter,
    impatientAdapter: () => createOpenRouterAdapter({ dispatcher, timeouts: { firstByteMs: 150 } }),
    credentials: () => credentials(),
    refusedCredentials: (port) => ({ api_key: KEY, base_url: `http://127.0.0.1:${port}/api/v1` }),
    chatRoute: ['POST', '/api/v1/chat/completions'],
    bodies: load('errors.json'),
    secret: KEY,
  });
});
