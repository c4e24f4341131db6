import { type FakeUpstream, fixture, splitBytes, startFakeUpstream } from '@switchboard/test-utils';
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callContext, collect, defineErrorTests, parseMultipart } from '../../test/provider-test-kit.ts';
import { createGroqAdapter } from './index.ts';

const KEY = 'gsk_test_groq_0001';
const load = (name: string) => JSON.parse(fixture(import.meta.url, name)) as Record<string, unknown>;
let upstream: FakeUpstream;
let dispatcher: Agent;
const adapter = () => createGroqAdapter({ dispatcher });
const credentials = () => ({ api_key: KEY, base_url: `${upstream.url}/openai/v1` });

beforeAll(async () => {
  upstream = await startFakeUpstream();
  dispatcher = new Agent();
});
afterAll(async () => {
  await upstream.close();
  await dispatcher.close();
});
beforeEach(() => upstream.reset());

describe('Groq', () => {
  it('chats and keeps only canonical usage fields', async () => {
    upstream.route('POST', '/openai/v1/chat/completions', { json: load('chat.json') });
    const request = {
      model: 'llama-3.3-70b-versatile',
      messages: [{ role: 'user' as const, content: 'Why do fast models matter?' }],
      max_completion_tokens: 64,
    };
    const result = await adapter().chat!(request, callContext(credentials()));
    expect(upstream.requests[0]!.url).toBe('/openai/v1/chat/completions');
    expect(upstream.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(upstream.requests[0]!.json()).toEqual(request);
    expect(result.completion).toEqual(load('chat.json'));
    expect(result.usage).toEqual({ prompt_tokens: 18, completion_tokens: 9, total_tokens: 27 });
  });

  it('streams text with usage in the x_groq finish chunk', async () => {
    const sse = fixture(import.meta.url, 'chat.sse');
    upstream.route('POST', '/openai/v1/chat/completions', { chunks: splitBytes(sse, 11) });
    const stream = await adapter().chatStream!(
      { model: 'llama-3.3-70b-versatile', messages: [{ role: 'user', content: 'Hi' }] },
      callContext(credentials()),
    );
    expect((await collect(stream.body)).toString('utf8')).toBe(sse);
    expect(stream.usage()).toEqual({ prompt_tokens: 45, completion_tokens: 662, total_tokens: 707 });
  });

  it('streams a whole tool call in one delta', async () => {
    const sse = fixture(import.meta.url, 'chat-tool-call.sse');
    upstream.route('POST', '/openai/v1/chat/completions', { chunks: splitBytes(sse, 100) });
    const stream = await adapter().chatStream!(
      { model: 'llama-3.3-70b-versatile', messages: [{ role: 'user', content: 'Weather in Oslo?' }] },
      callContext(credentials()),
    );
    expect((await collect(stream.body)).toString('utf8')).toBe(sse);
    expect(stream.usage()).toEqual({ prompt_tokens: 210, completion_tokens: 18, total_tokens: 228 });
  });

  it('transcribes with Whisper', async () => {
    upstream.route('POST', '/openai/v1/audio/transcriptions', { json: load('transcription.json') });
    const result = await adapter().transcribe!(
      {
        model: 'whisper-large-v3-turbo',
        file: { data: Buffer.from('fLaC\u0000'), filename: 'note.flac', contentType: 'audio/flac' },
        prompt: 'Meeting notes',
        response_format: 'json',
      },
      callContext(credentials()),
    );
    const sent = upstream.requests[0]!;
    expect(sent.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(parseMultipart(sent.headers['content-type']!, sent.body)).toEqual({
      file: 'note.flac|audio/flac|5',
      model: 'whisper-large-v3-turbo',
      prompt: 'Meeting notes',
      response_format: 'json',
    });
    expect(result).toEqual(load('transcription.json'));
  });

  it('validates with GET /models', async () => {
    upstream.route('GET', '/openai/v1/models', { json: load('models.json') });
    const result = await adapter().validateCredentials(callContext(credentials()));
    expect(upstream.requests[0]!.url).toBe('/openai/v1/models');
    expect(result.models?.map((model) => model.id)).toEqual([
      'llama-3.3-70b-versatile',
      'whisper-large-v3-turbo',
    ]);
  });

  defineErrorTests({
    upstream: () => upstream,
    adapter,
    impatientAdapter: () => createGroqAdapter({ dispatcher, timeouts: { firstByteMs: 150 } }),
    credentials,
    refusedCredentials: (port) => ({ api_key: KEY, base_url: `http://127.0.0.1:${port}/openai/v1` }),
    chatRoute: ['POST', '/openai/v1/chat/completions'],
    bodies: load('errors.json'),
    secret: KEY,
  });
});
