import { type FakeUpstream, fixture, splitBytes, startFakeUpstream } from '@switchboard/test-utils';
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BadRequestError, InvalidCredentialsError, ModelNotFoundError } from '@switchboard/provider-spec';
import {
  callContext,
  collect,
  defineErrorTests,
  failure,
  parseMultipart,
} from '../../test/provider-test-kit.ts';
import { createAzureOpenAIAdapter } from './index.ts';

const KEY = 'azure-test-key-0001';
const load = (name: string) => JSON.parse(fixture(import.meta.url, name)) as Record<string, unknown>;
let upstream: FakeUpstream;
let dispatcher: Agent;
const adapter = () => createAzureOpenAIAdapter({ dispatcher });
const credentials = (extra: Record<string, string> = {}) => ({
  base_url: `${upstream.url}/`,
  api_key: KEY,
  deployment_name: 'gpt-4o-prod',
  api_version: '2024-10-21',
  ...extra,
});
const chatPath = '/openai/deployments/gpt-4o-prod/chat/completions';

beforeAll(async () => {
  upstream = await startFakeUpstream();
  dispatcher = new Agent();
});
afterAll(async () => {
  await upstream.close();
  await dispatcher.close();
});
beforeEach(() => upstream.reset());

describe('Azure OpenAI', () => {
  it('calls the deployment URL with api-version and the api-key header', async () => {
    upstream.route('POST', chatPath, { json: load('chat.json') });
    const request = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'Hello' }] };
    const result = await adapter().chat!(request, callContext(credentials()));
    const sent = upstream.requests[0]!;
    expect(sent.method).toBe('POST');
    expect(sent.url).toBe(`${chatPath}?api-version=2024-10-21`);
    expect(sent.headers['api-key']).toBe(KEY);
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.json()).toEqual(request);
    expect(result.completion).toEqual(load('chat.json'));
    expect(result.usage).toEqual({
      prompt_tokens: 9,
      completion_tokens: 7,
      total_tokens: 16,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
  });

  it('relays the Responses API to the v1 API, naming the deployment as the model', async () => {
    const answer = { id: 'resp_1', object: 'response', status: 'completed', output: [] };
    upstream.route('POST', '/openai/v1/responses', { json: answer });
    const relayed = await adapter().relay!(
      { api: 'openai-responses', body: { model: 'gpt-4o', input: 'Hello' }, headers: {} },
      callContext(credentials()),
    );
    const sent = upstream.requests[0]!;
    expect(sent.url).toBe('/openai/v1/responses');
    expect(sent.headers['api-key']).toBe(KEY);
    expect(sent.json()).toEqual({ model: 'gpt-4o-prod', input: 'Hello' });
    expect(relayed.contentType).toContain('application/json');
    expect(JSON.parse((await collect(relayed.body)).toString('utf8'))).toEqual(answer);
  });

  it('uses the model name as deployment when none is set', async () => {
    upstream.route('POST', '/openai/deployments/gpt-4o/chat/completions', { json: load('chat.json') });
    await adapter().chat!(
      { model: 'gpt-4o', messages: [{ role: 'user', content: 'Hello' }] },
      callContext(credentials({ deployment_name: '', api_version: '2025-04-01-preview' })),
    );
    expect(upstream.requests[0]!.url).toBe(
      '/openai/deployments/gpt-4o/chat/completions?api-version=2025-04-01-preview',
    );
  });

  it('streams through the content-filter envelope events unchanged', async () => {
    const sse = fixture(import.meta.url, 'chat.sse');
    upstream.route('POST', chatPath, { chunks: splitBytes(sse, 23) });
    const stream = await adapter().chatStream!(
      {
        model: 'gpt-5-nano',
        messages: [{ role: 'user', content: 'Bye' }],
        stream_options: { include_usage: true },
      },
      callContext(credentials()),
    );
    expect((await collect(stream.body)).toString('utf8')).toBe(sse);
    expect(stream.usage()).toEqual({
      prompt_tokens: 9,
      completion_tokens: 5,
      total_tokens: 14,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
  });

  it('embeds, transcribes and speaks on their deployments', async () => {
    upstream.route('POST', '/openai/deployments/embed-small/embeddings', { json: load('embeddings.json') });
    const embedded = await adapter().embed!(
      { model: 'text-embedding-3-small', input: 'hello' },
      callContext(credentials({ deployment_name: 'embed-small' })),
    );
    expect(embedded).toEqual({
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: [0.0023064255, -0.009327292, -0.0028842222] }],
      model: 'text-embedding-3-small',
      usage: { prompt_tokens: 4, total_tokens: 4 },
    });
    expect(upstream.requests[0]!.url).toBe(
      '/openai/deployments/embed-small/embeddings?api-version=2024-10-21',
    );

    upstream.route('POST', '/openai/deployments/whisper/audio/transcriptions', {
      json: { text: 'Hello there.' },
    });
    const heard = await adapter().transcribe!(
      { model: 'whisper', file: { data: Buffer.from('RIFF'), filename: 'a.wav', contentType: 'audio/wav' } },
      callContext(credentials({ deployment_name: 'whisper' })),
    );
    expect(heard).toEqual({ text: 'Hello there.' });
    const upload = upstream.requests[1]!;
    expect(upload.headers['api-key']).toBe(KEY);
    expect(parseMultipart(upload.headers['content-type']!, upload.body)).toEqual({
      file: 'a.wav|audio/wav|4',
      model: 'whisper',
    });

    upstream.route('POST', '/openai/deployments/tts/audio/speech', {
      headers: { 'content-type': 'audio/mpeg' },
      body: Buffer.from([0xff, 0xfb, 0x90]),
    });
    const audio = await adapter().speak!(
      { model: 'tts', input: 'Hi', voice: 'alloy' },
      callContext(credentials({ deployment_name: 'tts', api_version: '2025-04-01-preview' })),
    );
    expect(audio.contentType).toBe('audio/mpeg');
    expect(await collect(audio.body)).toEqual(Buffer.from([0xff, 0xfb, 0x90]));
    expect(upstream.requests[2]!.json()).toEqual({ model: 'tts', input: 'Hi', voice: 'alloy' });
  });

  it('validates with a one-token chat, using the limit field the api-version knows', async () => {
    upstream.route('POST', chatPath, { json: load('chat.json') });
    expect(
      await adapter().validateCredentials(callContext(credentials()), { model: 'gpt-4o', type: 'llm' }),
    ).toEqual({});
    expect(upstream.requests[0]!.json()).toEqual({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'ping' }],
      max_completion_tokens: 1,
    });
    await adapter().validateCredentials(callContext(credentials({ api_version: '2024-06-01' })), {
      model: 'gpt-4o',
      type: 'llm',
    });
    expect(upstream.requests[1]!.json()).toEqual({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'ping' }],
      max_tokens: 1,
    });
  });

  it('blames the right field: key, deployment, endpoint or api-version', async () => {
    const errors = load('errors.json');
    const target = { model: 'gpt-4o', type: 'llm' as const };
    const validate = () => failure(adapter().validateCredentials(callContext(credentials()), target));
    upstream.route('POST', chatPath, { status: 401, json: errors['401'] });
    const key = await validate();
    expect(key).toBeInstanceOf(InvalidCredentialsError);
    expect(key.field).toBe('api_key');
    upstream.route('POST', chatPath, { status: 404, json: errors['404'] });
    const deployment = await validate();
    expect(deployment).toBeInstanceOf(ModelNotFoundError);
    expect(deployment.field).toBe('deployment_name');
    upstream.route('POST', chatPath, { status: 404, json: errors['404-path'] });
    expect((await validate()).field).toBe('base_url');
    upstream.route('POST', chatPath, { status: 400, json: errors['400-version'] });
    const version = await validate();
    expect(version).toBeInstanceOf(BadRequestError);
    expect(version.field).toBe('api_version');
    const missing = await failure(
      adapter().validateCredentials(callContext(credentials({ deployment_name: '' }))),
    );
    expect(missing.field).toBe('deployment_name');
  });

  defineErrorTests({
    upstream: () => upstream,
    adapter,
    impatientAdapter: () => createAzureOpenAIAdapter({ dispatcher, timeouts: { firstByteMs: 150 } }),
    credentials: () => credentials(),
    refusedCredentials: (port) => ({ ...credentials(), base_url: `http://127.0.0.1:${port}` }),
    chatRoute: ['POST', chatPath],
    bodies: load('errors.json'),
    secret: KEY,
  });
});
