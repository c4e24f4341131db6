import { type FakeUpstream, fixture, splitBytes, startFakeUpstream } from '@switchboard/test-utils';
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BadRequestError, InvalidCredentialsError } from '@switchboard/provider-spec';
import {
  callContext,
  collect,
  defineErrorTests,
  failure,
  parseMultipart,
} from '../../test/provider-test-kit.ts';
import { createMistralAdapter } from './index.ts';

const KEY = 'mst-test-key-0001';
const load = (name: string) => JSON.parse(fixture(import.meta.url, name)) as Record<string, unknown>;
let upstream: FakeUpstream;
let dispatcher: Agent;
const adapter = () => createMistralAdapter({ dispatcher });
const credentials = () => ({ api_key: KEY, base_url: `${upstream.url}/v1` });

beforeAll(async () => {
  upstream = await startFakeUpstream();
  dispatcher = new Agent();
});
afterAll(async () => {
  await upstream.close();
  await dispatcher.close();
});
beforeEach(() => upstream.reset());

describe('Mistral', () => {
  it('renames and drops the fields Mistral rejects, and types the tool calls of a completion', async () => {
    upstream.route('POST', '/v1/chat/completions', { json: load('chat-tool-call.json') });
    const result = await adapter().chat!(
      {
        model: 'mistral-small-latest',
        messages: [{ role: 'user', content: 'Weather in San Francisco?' }],
        max_completion_tokens: 100,
        seed: 7,
        user: 'u-1',
        stream_options: { include_usage: true },
        tool_choice: 'required',
      },
      callContext(credentials()),
    );
    const sent = upstream.requests[0]!;
    expect(sent.url).toBe('/v1/chat/completions');
    expect(sent.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent.json()).toEqual({
      model: 'mistral-small-latest',
      messages: [{ role: 'user', content: 'Weather in San Francisco?' }],
      max_tokens: 100,
      random_seed: 7,
      tool_choice: 'required',
    });
    expect(result.raw).toBeUndefined();
    expect(result.completion.choices[0]!.message.tool_calls).toEqual([
      {
        id: 'gSIMJiOkT',
        type: 'function',
        function: { name: 'weather', arguments: '{"location": "San Francisco"}' },
      },
    ]);
    expect(result.usage).toEqual({ prompt_tokens: 124, completion_tokens: 22, total_tokens: 146 });
  });

  it('streams, adding the index and type OpenAI clients need to whole tool calls', async () => {
    const sse = fixture(import.meta.url, 'chat-tool-call.sse');
    upstream.route('POST', '/v1/chat/completions', { chunks: splitBytes(sse, 9) });
    const stream = await adapter().chatStream!(
      {
        model: 'mistral-small-latest',
        messages: [{ role: 'user', content: 'Weather?' }],
        stream_options: { include_usage: true },
      },
      callContext(credentials()),
    );
    const out = (await collect(stream.body)).toString('utf8');
    expect(upstream.requests[0]!.json()).toEqual({
      model: 'mistral-small-latest',
      messages: [{ role: 'user', content: 'Weather?' }],
      stream: true,
    });
    const events = out.split('\n\n').filter(Boolean);
    expect(events[0]).toBe(sse.split('\n\n')[0]);
    expect(JSON.parse(events[1]!.slice(6)).choices[0].delta.tool_calls).toEqual([
      {
        id: 'gSIMJiOkT',
        index: 0,
        type: 'function',
        function: { name: 'weather', arguments: '{"location": "San Francisco"}' },
      },
    ]);
    expect(events[2]).toBe('data: [DONE]');
    expect(stream.usage()).toEqual({ prompt_tokens: 124, completion_tokens: 22, total_tokens: 146 });
  });

  it('embeds', async () => {
    upstream.route('POST', '/v1/embeddings', { json: load('embeddings.json') });
    const result = await adapter().embed!(
      { model: 'mistral-embed', input: ['hello'] },
      callContext(credentials()),
    );
    expect(upstream.requests[0]!.json()).toEqual({ model: 'mistral-embed', input: ['hello'] });
    expect(result).toEqual({
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: [-0.0166, 0.0702] }],
      model: 'mistral-embed',
      usage: { prompt_tokens: 15, total_tokens: 15 },
    });
  });

  it('transcribes with Voxtral and reports the audio seconds as OpenAI duration usage', async () => {
    upstream.route('POST', '/v1/audio/transcriptions', { json: load('transcription.json') });
    const result = await adapter().transcribe!(
      {
        model: 'voxtral-mini-latest',
        file: { data: Buffer.from('RIFF'), filename: 'a.wav', contentType: 'audio/wav' },
      },
      callContext(credentials()),
    );
    const sent = upstream.requests[0]!;
    expect(parseMultipart(sent.headers['content-type']!, sent.body)).toEqual({
      file: 'a.wav|audio/wav|4',
      model: 'voxtral-mini-latest',
    });
    expect(result).toEqual({
      model: 'voxtral-mini-2507',
      text: 'This week, I traveled to Chicago.',
      language: 'en',
      segments: [],
      usage: { type: 'duration', seconds: 8 },
    });
  });

  it('validates with GET /v1/models', async () => {
    upstream.route('GET', '/v1/models', { json: load('models.json') });
    const result = await adapter().validateCredentials(callContext(credentials()));
    expect(upstream.requests[0]!.url).toBe('/v1/models');
    expect(result.models?.map((model) => model.id)).toEqual(['mistral-small-latest', 'mistral-embed']);
    upstream.route('GET', '/v1/models', { status: 401, json: load('errors.json')['401'] });
    const error = await failure(adapter().validateCredentials(callContext(credentials())));
    expect(error).toBeInstanceOf(InvalidCredentialsError);
    expect(error.field).toBe('api_key');
  });

  it('names the field of a 422 validation error', async () => {
    upstream.route('POST', '/v1/chat/completions', { status: 422, json: load('errors.json')['400'] });
    const error = await failure(
      adapter().chat!(
        { model: 'mistral-small-latest', messages: [{ role: 'user', content: 'x' }] },
        callContext(credentials()),
      ),
    );
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error.field).toBe('max_completion_tokens');
    expect(error.upstreamMessage).toBe('body.max_completion_tokens: Extra inputs are not permitted');
  });

  defineErrorTests({
    upstream: () => upstream,
    adapter,
    impatientAdapter: () => createMistralAdapter({ dispatcher, timeouts: { firstByteMs: 150 } }),
    credentials,
    refusedCredentials: (port) => ({ api_key: KEY, base_url: `http://127.0.0.1:${port}/v1` }),
    chatRoute: ['POST', '/v1/chat/completions'],
    bodies: load('errors.json'),
    secret: KEY,
  });
});
