import { type FakeUpstream, fixture, splitBytes, startFakeUpstream } from '@switchboard/test-utils';
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  BadRequestError,
  InvalidCredentialsError,
  ModelNotFoundError,
  UpstreamUnavailableError,
} from '@switchboard/provider-spec';
import {
  callContext,
  collect,
  defineErrorTests,
  failure,
  parseMultipart,
} from '../../test/provider-test-kit.ts';
import { createXinferenceAdapter } from './index.ts';

const KEY = 'sk-xinf-test-0001';
const load = (name: string) => JSON.parse(fixture(import.meta.url, name)) as Record<string, unknown>;
let upstream: FakeUpstream;
let dispatcher: Agent;
const adapter = () => createXinferenceAdapter({ dispatcher });
const credentials = (extra: Record<string, string> = {}) => ({
  base_url: upstream.url,
  api_key: KEY,
  ...extra,
});

beforeAll(async () => {
  upstream = await startFakeUpstream();
  dispatcher = new Agent();
});
afterAll(async () => {
  await upstream.close();
  await dispatcher.close();
});
beforeEach(() => upstream.reset());

const discovered = [
  { id: 'qwen2.5-instruct', type: 'llm', contextSize: 32768, features: ['streaming', 'tool-call'] },
  {
    id: 'my-qwen-vl',
    label: 'qwen2.5-vl-instruct',
    type: 'llm',
    contextSize: 128000,
    features: ['streaming', 'vision'],
  },
  { id: 'bge-m3', type: 'text-embedding', contextSize: 8192, dimensions: 1024 },
  { id: 'bge-reranker-v2-m3', type: 'rerank' },
  { id: 'whisper-large-v3', type: 'speech2text' },
  { id: 'ChatTTS', type: 'tts' },
];

describe('Xinference', () => {
  it('discovers running models with their type from model_type', async () => {
    upstream.route('GET', '/v1/models', { json: load('models.json') });
    const models = await adapter().discoverModels!(callContext(credentials()));
    expect(upstream.requests[0]!.url).toBe('/v1/models');
    expect(upstream.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(models).toEqual(discovered);
  });

  it('works without a key and with a server URL typed with /v1', async () => {
    upstream.route('GET', '/v1/models', { json: load('models.json') });
    await adapter().discoverModels!(callContext({ base_url: `${upstream.url}/v1/` }));
    expect(upstream.requests[0]!.url).toBe('/v1/models');
    expect(upstream.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('validates a custom model against the running list, by UID and type', async () => {
    upstream.route('GET', '/v1/models', { json: load('models.json') });
    const result = await adapter().validateCredentials(callContext(credentials()), {
      model: 'bge-m3',
      type: 'text-embedding',
    });
    expect(result.models).toEqual(discovered);
    const missing = await failure(
      adapter().validateCredentials(callContext(credentials()), { model: 'qwen-9', type: 'llm' }),
    );
    expect(missing).toBeInstanceOf(ModelNotFoundError);
    expect(missing.field).toBe('model');
    const wrongType = await failure(
      adapter().validateCredentials(callContext(credentials()), { model: 'bge-m3', type: 'rerank' }),
    );
    expect(wrongType).toBeInstanceOf(BadRequestError);
    expect(wrongType.field).toBe('model');
    expect(upstream.requests).toHaveLength(3);
  });

  it('blames the key, then the server URL', async () => {
    upstream.route('GET', '/v1/models', {
      status: 401,
      headers: { 'www-authenticate': 'Bearer' },
      json: { detail: 'Could not validate credentials' },
    });
    const key = await failure(adapter().validateCredentials(callContext(credentials())));
    expect(key).toBeInstanceOf(InvalidCredentialsError);
    expect(key.field).toBe('api_key');
    upstream.route('GET', '/v1/models', { status: 404, json: { detail: 'Not Found' } });
    expect((await failure(adapter().validateCredentials(callContext(credentials())))).field).toBe('base_url');
  });

  it('streams chat with a multi-byte answer split across chunks', async () => {
    const sse = fixture(import.meta.url, 'chat.sse');
    upstream.route('POST', '/v1/chat/completions', { chunks: splitBytes(sse, 5) });
    const request = {
      model: 'qwen2.5-instruct',
      messages: [{ role: 'user' as const, content: 'Say hello in Chinese' }],
      stream_options: { include_usage: true },
    };
    const stream = await adapter().chatStream!(request, callContext(credentials()));
    expect((await collect(stream.body)).toString('utf8')).toBe(sse);
    expect(upstream.requests[0]!.json()).toEqual({ ...request, stream: true });
    expect(stream.usage()).toEqual({ prompt_tokens: 20, completion_tokens: 2, total_tokens: 22 });
  });

  it('chats without streaming', async () => {
    const answer = {
      id: 'chat4a1c',
      object: 'chat.completion',
      created: 1767225601,
      model: 'qwen2.5-instruct',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello!' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 20, completion_tokens: 2, total_tokens: 22 },
    };
    upstream.route('POST', '/v1/chat/completions', { json: answer });
    const request = { model: 'qwen2.5-instruct', messages: [{ role: 'user' as const, content: 'Hi' }] };
    const result = await adapter().chat!(request, callContext(credentials()));
    expect(upstream.requests[0]!.json()).toEqual(request);
    expect(upstream.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(result.completion).toEqual(answer);
    expect(result.usage).toEqual({ prompt_tokens: 20, completion_tokens: 2, total_tokens: 22 });
  });

  it('embeds', async () => {
    upstream.route('POST', '/v1/embeddings', { json: load('embeddings.json') });
    const result = await adapter().embed!({ model: 'bge-m3', input: 'hello' }, callContext(credentials()));
    expect(upstream.requests[0]!.json()).toEqual({ model: 'bge-m3', input: 'hello' });
    expect(result).toEqual({
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: [-0.0441, 0.0306, -0.0212] }],
      model: 'bge-m3',
      usage: { prompt_tokens: 5, total_tokens: 5 },
    });
  });

  it('reranks at /v1/rerank and reads tokens from meta', async () => {
    upstream.route('POST', '/v1/rerank', { json: load('rerank.json') });
    const result = await adapter().rerank!(
      {
        model: 'bge-reranker-v2-m3',
        query: 'capital of France',
        documents: ['Berlin is in Germany.', { text: 'Paris is the capital of France.' }],
        top_n: 2,
        return_len: true,
      },
      callContext(credentials()),
    );
    expect(upstream.requests[0]!.json()).toEqual({
      model: 'bge-reranker-v2-m3',
      query: 'capital of France',
      documents: ['Berlin is in Germany.', 'Paris is the capital of France.'],
      top_n: 2,
      return_len: true,
    });
    expect(result).toEqual({
      id: '8f1e6f6a-3b0e-11f0-9a4c-0242ac110002',
      model: 'bge-reranker-v2-m3',
      results: [
        { index: 1, relevance_score: 0.9991 },
        { index: 0, relevance_score: 0.0124 },
      ],
      usage: { total_tokens: 38 },
    });
  });

  it('transcribes and speaks', async () => {
    upstream.route('POST', '/v1/audio/transcriptions', { json: { text: 'Hello world' } });
    const heard = await adapter().transcribe!(
      {
        model: 'whisper-large-v3',
        file: { data: Buffer.from('OggS'), filename: 'a.ogg', contentType: 'audio/ogg' },
        language: 'en',
      },
      callContext(credentials()),
    );
    expect(heard).toEqual({ text: 'Hello world' });
    const upload = upstream.requests[0]!;
    expect(parseMultipart(upload.headers['content-type']!, upload.body)).toEqual({
      file: 'a.ogg|audio/ogg|4',
      model: 'whisper-large-v3',
      language: 'en',
    });
    upstream.route('POST', '/v1/audio/speech', {
      headers: { 'content-type': 'audio/mpeg' },
      body: Buffer.from('ID3'),
    });
    const audio = await adapter().speak!(
      { model: 'ChatTTS', input: '你好', voice: 'default' },
      callContext(credentials()),
    );
    expect(audio.contentType).toBe('audio/mpeg');
    expect((await collect(audio.body)).toString()).toBe('ID3');
    expect(upstream.requests[1]!.json()).toEqual({ model: 'ChatTTS', input: '你好', voice: 'default' });
  });

  it('reports an unknown UID as ModelNotFoundError on old (400) and new (404) servers', async () => {
    const errors = load('errors.json');
    for (const [status, body] of [
      [400, errors['400-unknown-uid']],
      [404, errors['404']],
    ] as const) {
      upstream.route('POST', '/v1/embeddings', { status, json: body });
      const error = await failure(
        adapter().embed!({ model: 'bge-x', input: 'a' }, callContext(credentials())),
      );
      expect(error).toBeInstanceOf(ModelNotFoundError);
      expect(error.field).toBe('model');
    }
  });

  it('reports a model still loading (503 with Retry-After) as unavailable', async () => {
    upstream.route('POST', '/v1/chat/completions', {
      status: 503,
      headers: { 'retry-after': '30' },
      json: load('errors.json')['503'],
    });
    const error = await failure(
      adapter().chat!(
        { model: 'qwen2.5-instruct', messages: [{ role: 'user', content: 'x' }] },
        callContext(credentials()),
      ),
    );
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
  });

  defineErrorTests({
    upstream: () => upstream,
    adapter,
    impatientAdapter: () => createXinferenceAdapter({ dispatcher, timeouts: { firstByteMs: 150 } }),
    credentials: () => credentials(),
    refusedCredentials: (port) => ({ api_key: KEY, base_url: `http://127.0.0.1:${port}` }),
    chatRoute: ['POST', '/v1/chat/completions'],
    bodies: load('errors.json'),
    secret: KEY,
  });
});
