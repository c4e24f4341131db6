import { readFileSync } from 'node:fs';
import {
  type FakeUpstream,
  fixture,
  splitBytes,
  startConnectProxy,
  startFakeUpstream,
} from '@switchboard/test-utils';
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AbortedError,
  type ChatRequest,
  InvalidCredentialsError,
  MalformedResponseError,
  ModelNotFoundError,
  RateLimitedError,
  TimeoutError,
  UpstreamUnavailableError,
} from '@switchboard/provider-spec';
import { createOpenAIAdapter } from './index.ts';
import {
  callContext,
  collect,
  defineErrorTests,
  failure,
  parseMultipart,
  streamFailure,
} from '../../test/provider-test-kit.ts';

const KEY = 'sk-test-openai-0001';
const load = (name: string) => JSON.parse(fixture(import.meta.url, name)) as Record<string, unknown>;
let upstream: FakeUpstream;
let dispatcher: Agent;
const adapter = () => createOpenAIAdapter({ dispatcher });
const credentials = (extra: Record<string, string> = {}) => ({
  api_key: KEY,
  base_url: `${upstream.url}/v1`,
  ...extra,
});

beforeAll(async () => {
  upstream = await startFakeUpstream();
  dispatcher = new Agent({ keepAliveTimeout: 1000 });
});
afterAll(async () => {
  await upstream.close();
  await dispatcher.close();
});
beforeEach(() => upstream.reset());

const weatherRequest: ChatRequest = {
  model: 'gpt-4.1-mini',
  messages: [
    { role: 'developer', content: 'Answer in one sentence.' },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'What is the weather in Paris?' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' } },
      ],
    },
  ],
  tools: [
    {
      type: 'function',
      function: {
        name: 'get_weather',
        description: 'Current weather for a city',
        parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        strict: true,
      },
    },
  ],
  tool_choice: 'auto',
  max_completion_tokens: 256,
  temperature: 0.2,
};

describe('OpenAI chat', () => {
  it('sends the canonical body with Bearer, organization and project headers and returns the raw bytes', async () => {
    const body = fixture(import.meta.url, 'chat-tool-call.json');
    upstream.route('POST', '/v1/chat/completions', { headers: { 'content-type': 'application/json' }, body });
    const result = await adapter().chat!(
      { ...weatherRequest, stream: false, stream_options: { include_usage: true } },
      callContext(credentials({ organization_id: 'org-acme', project_id: 'proj_web' })),
    );
    const sent = upstream.requests[0]!;
    expect(sent.method).toBe('POST');
    expect(sent.url).toBe('/v1/chat/completions');
    expect(sent.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent.headers['openai-organization']).toBe('org-acme');
    expect(sent.headers['openai-project']).toBe('proj_web');
    expect(sent.headers['content-type']).toBe('application/json');
    // stream and stream_options are dropped: OpenAI rejects stream_options without stream.
    expect(sent.json()).toEqual(weatherRequest);
    expect(Buffer.from(result.raw!).toString('utf8')).toBe(body);
    expect(result.completion).toEqual(JSON.parse(body));
    expect(result.completion.choices[0]!.message.tool_calls).toEqual([
      {
        id: 'call_Xb2k9',
        type: 'function',
        function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
      },
    ]);
    expect(result.usage).toEqual({
      prompt_tokens: 82,
      completion_tokens: 17,
      total_tokens: 99,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
  });

  it('sends no organization headers when the fields are empty', async () => {
    upstream.route('POST', '/v1/chat/completions', { json: load('chat-tool-call.json') });
    await adapter().chat!(weatherRequest, callContext(credentials({ organization_id: ' ', project_id: '' })));
    expect(upstream.requests[0]!.headers['openai-organization']).toBeUndefined();
    expect(upstream.requests[0]!.headers['openai-project']).toBeUndefined();
  });

  it('cancels the upstream request when the caller aborts before the answer', async () => {
    upstream.route('POST', '/v1/chat/completions', { hang: true });
    const controller = new AbortController();
    const pending = failure(adapter().chat!(weatherRequest, callContext(credentials(), controller.signal)));
    await expect.poll(() => upstream.requests.length).toBe(1);
    controller.abort();
    expect(await pending).toBeInstanceOf(AbortedError);
    await expect.poll(() => upstream.aborted.length).toBe(1);
  });

  it('rejects a 200 answer without choices as malformed', async () => {
    upstream.route('POST', '/v1/chat/completions', { json: { id: 'x', object: 'chat.completion' } });
    expect(await failure(adapter().chat!(weatherRequest, callContext(credentials())))).toBeInstanceOf(
      MalformedResponseError,
    );
  });
});

describe('OpenAI chat stream', () => {
  const text = fixture(import.meta.url, 'chat-text.sse');
  const request: ChatRequest = {
    model: 'gpt-4.1-nano',
    messages: [{ role: 'user', content: 'Greet me' }],
    stream_options: { include_usage: true },
  };

  it('passes the bytes through unchanged, even split inside events and inside characters', async () => {
    // 7-byte chunks cut through `data:` lines, JSON and the multi-byte ü and 🌍.
    upstream.route('POST', '/v1/chat/completions', {
      headers: { 'content-type': 'text/event-stream' },
      chunks: splitBytes(text, 7),
    });
    const stream = await adapter().chatStream!(request, callContext(credentials()));
    const out = await collect(stream.body);
    expect(out.toString('utf8')).toBe(text);
    expect(upstream.requests[0]!.json()).toEqual({ ...request, stream: true });
    expect(upstream.requests[0]!.headers.accept).toBe('text/event-stream');
    expect(stream.usage()).toEqual({
      prompt_tokens: 16,
      completion_tokens: 300,
      total_tokens: 316,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
  });

  it('yields whole events only', async () => {
    upstream.route('POST', '/v1/chat/completions', { chunks: splitBytes(text, 5) });
    const stream = await adapter().chatStream!(request, callContext(credentials()));
    for await (const chunk of stream.body) expect(Buffer.from(chunk).toString('utf8')).toMatch(/\n\n$/);
  });

  it('passes tool-call deltas through and reads usage at the end', async () => {
    const tools = fixture(import.meta.url, 'chat-tool-calls.sse');
    upstream.route('POST', '/v1/chat/completions', { chunks: splitBytes(tools, 64) });
    const stream = await adapter().chatStream!(weatherRequest, callContext(credentials()));
    const out = (await collect(stream.body)).toString('utf8');
    expect(out).toBe(tools);
    const calls = new Map<number, { id?: string; name?: string; arguments: string }>();
    for (const line of out.split('\n')) {
      if (!line.startsWith('data: {')) continue;
      for (const call of JSON.parse(line.slice(6)).choices[0]?.delta.tool_calls ?? []) {
        const entry = calls.get(call.index) ?? { arguments: '' };
        entry.id ??= call.id;
        entry.name ??= call.function?.name;
        entry.arguments += call.function?.arguments ?? '';
        calls.set(call.index, entry);
      }
    }
    expect([...calls.values()]).toEqual([
      { id: 'call_Xb2k9', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { id: 'call_Qm81a', name: 'get_weather', arguments: '{"city":"Rome"}' },
    ]);
    expect(stream.usage()).toEqual({ prompt_tokens: 82, completion_tokens: 34, total_tokens: 116 });
  });

  it('throws when the upstream closes mid-stream, after passing the whole events it had', async () => {
    const cut = text.slice(0, text.indexOf('"finish_reason":"stop"'));
    upstream.route('POST', '/v1/chat/completions', {
      chunks: splitBytes(cut, 50),
      chunkDelayMs: 5,
      destroyAfterChunks: true,
    });
    const stream = await adapter().chatStream!(request, callContext(credentials()));
    const { error, read } = await streamFailure(stream.body);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(read.toString('utf8')).toBe(cut.slice(0, cut.lastIndexOf('\n\n') + 2));
  });

  it('throws when the upstream ends cleanly without [DONE]', async () => {
    const withoutDone = text.replace('data: [DONE]\n\n', '');
    upstream.route('POST', '/v1/chat/completions', { chunks: [withoutDone] });
    const stream = await adapter().chatStream!(request, callContext(credentials()));
    const { error } = await streamFailure(stream.body);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error.message).toContain('ended before it finished');
  });

  it('finishes on a final [DONE] without its blank line', async () => {
    const trimmed = text.replace(/\n\n$/, '\n');
    upstream.route('POST', '/v1/chat/completions', { chunks: splitBytes(trimmed, 100) });
    const stream = await adapter().chatStream!(request, callContext(credentials()));
    expect((await collect(stream.body)).toString('utf8')).toBe(trimmed);
  });

  it('ends at [DONE] even when the upstream keeps the response open', async () => {
    upstream.route('POST', '/v1/chat/completions', (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(text);
    });
    const stream = await adapter().chatStream!(request, callContext(credentials()));
    expect((await collect(stream.body)).toString('utf8')).toBe(text);
    expect(stream.usage()?.total_tokens).toBe(316);
  });

  it('throws TimeoutError when the stream goes idle', async () => {
    const events = text.split('\n\n');
    upstream.route('POST', '/v1/chat/completions', {
      chunks: [`${events[0]}\n\n`, `${events[1]}\n\n`],
      chunkDelayMs: 5_000, // far beyond the 150 ms idle timeout, even on a loaded machine
    });
    const impatient = createOpenAIAdapter({ dispatcher, timeouts: { idleMs: 150 } });
    const stream = await impatient.chatStream!(request, callContext(credentials()));
    const { error, read } = await streamFailure(stream.body);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(read.toString('utf8')).toBe(`${events[0]}\n\n`);
  });

  it('shows the reason of a JSON error answered with status 200 to a stream request', async () => {
    upstream.route('POST', '/v1/chat/completions', {
      json: { error: { message: 'Rate limit reached', type: 'tokens', code: 429 } },
    });
    const stream = await adapter().chatStream!(request, callContext(credentials()));
    const { error } = await streamFailure(stream.body);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error.upstreamMessage).toBe('Rate limit reached');
  });

  it('turns an error event into a ProviderError', async () => {
    const first = text.split('\n\n')[0]!;
    const errorEvent = `data: {"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}\n\n`;
    upstream.route('POST', '/v1/chat/completions', { chunks: [`${first}\n\n`, errorEvent] });
    const stream = await adapter().chatStream!(request, callContext(credentials()));
    const { error, read } = await streamFailure(stream.body);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(read.toString('utf8')).toBe(`${first}\n\n`);
  });

  it('cancels the upstream request when the caller aborts', async () => {
    const events = text.split('\n\n');
    upstream.route('POST', '/v1/chat/completions', {
      chunks: [`${events[0]}\n\n`, `${events[1]}\n\n`, `${events[2]}\n\n`],
      chunkDelayMs: 400,
    });
    const controller = new AbortController();
    const stream = await adapter().chatStream!(request, callContext(credentials(), controller.signal));
    const iterator = stream.body[Symbol.asyncIterator]();
    await iterator.next();
    controller.abort();
    const error = await failure(iterator.next());
    expect(error).toBeInstanceOf(AbortedError);
    await expect.poll(() => upstream.aborted.length).toBe(1);
  });

  it('rejects before any byte when the upstream answers an error status', async () => {
    upstream.route('POST', '/v1/chat/completions', { status: 401, json: load('errors.json')['401'] });
    expect(await failure(adapter().chatStream!(request, callContext(credentials())))).toBeInstanceOf(
      InvalidCredentialsError,
    );
  });
});

describe('OpenAI embeddings and audio', () => {
  it('embeds', async () => {
    upstream.route('POST', '/v1/embeddings', { json: load('embeddings.json') });
    const request = { model: 'text-embedding-3-small', input: ['hello', 'world'], dimensions: 3 };
    const result = await adapter().embed!(request, callContext(credentials()));
    expect(upstream.requests[0]!.json()).toEqual(request);
    expect(upstream.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(result).toEqual(load('embeddings.json'));
  });

  it('transcribes with a multipart upload', async () => {
    upstream.route('POST', '/v1/audio/transcriptions', { json: load('transcription.json') });
    const audio = Buffer.from([0x52, 0x49, 0x46, 0x46, 0x00, 0x0d, 0x0a, 0xff]);
    const result = await adapter().transcribe!(
      {
        model: 'gpt-4o-mini-transcribe',
        file: { data: audio, filename: 'beach.wav', contentType: 'audio/wav' },
        language: 'en',
        temperature: 0,
      },
      callContext(credentials()),
    );
    const sent = upstream.requests[0]!;
    expect(sent.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(parseMultipart(sent.headers['content-type']!, sent.body)).toEqual({
      file: 'beach.wav|audio/wav|8',
      model: 'gpt-4o-mini-transcribe',
      language: 'en',
      temperature: '0',
    });
    expect(sent.body.includes(audio)).toBe(true);
    expect(result).toEqual(load('transcription.json'));
  });

  it('returns plain text for response_format text', async () => {
    upstream.route('POST', '/v1/audio/transcriptions', {
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: 'The beach was a popular spot.\n',
    });
    const result = await adapter().transcribe!(
      {
        model: 'whisper-1',
        file: { data: Buffer.from('x'), filename: 'a.mp3', contentType: 'audio/mpeg' },
        response_format: 'text',
      },
      callContext(credentials()),
    );
    expect(result).toEqual({ text: 'The beach was a popular spot.\n' });
  });

  it('streams speech audio as it comes', async () => {
    const mp3 = readFileSync(new URL('./__fixtures__/speech.mp3', import.meta.url));
    upstream.route('POST', '/v1/audio/speech', {
      headers: { 'content-type': 'audio/mpeg' },
      chunks: [mp3.subarray(0, 5), mp3.subarray(5)],
    });
    const request = {
      model: 'gpt-4o-mini-tts',
      input: 'Hello',
      voice: 'coral',
      response_format: 'mp3' as const,
    };
    const audio = await adapter().speak!(request, callContext(credentials()));
    expect(audio.contentType).toBe('audio/mpeg');
    expect(await collect(audio.body)).toEqual(mp3);
    expect(upstream.requests[0]!.json()).toEqual(request);
  });
});

describe('OpenAI credential validation', () => {
  it('lists models with the key and reports the predefined ones it can see', async () => {
    upstream.route('GET', '/v1/models', { json: load('models.json') });
    const result = await adapter().validateCredentials(
      callContext(credentials({ organization_id: 'org-acme' })),
    );
    expect(upstream.requests.map((r) => [r.method, r.url])).toEqual([['GET', '/v1/models']]);
    expect(upstream.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(upstream.requests[0]!.headers['openai-organization']).toBe('org-acme');
    expect(result.models?.map((model) => model.id)).toEqual(['gpt-4.1-mini', 'text-embedding-3-small']);
  });

  it('accepts a fine-tuned model found in the list without another call', async () => {
    upstream.route('GET', '/v1/models', { json: load('models.json') });
    await adapter().validateCredentials(callContext(credentials()), {
      model: 'ft:gpt-4o-mini-2024-07-18:acme::B1x2y3z4',
      type: 'llm',
    });
    expect(upstream.requests).toHaveLength(1);
  });

  it('probes a model missing from the list and blames the model field on 404', async () => {
    upstream.route('GET', '/v1/models', { json: load('models.json') });
    upstream.route('POST', '/v1/chat/completions', { status: 404, json: load('errors.json')['404'] });
    const error = await failure(
      adapter().validateCredentials(callContext(credentials()), { model: 'gpt-9', type: 'llm' }),
    );
    expect(error).toBeInstanceOf(ModelNotFoundError);
    expect(error.field).toBe('model');
    expect(upstream.requests[1]!.json()).toEqual({
      model: 'gpt-9',
      messages: [{ role: 'user', content: 'ping' }],
      max_completion_tokens: 1,
    });
  });

  it('blames api_key for a bad key and organization_id for a foreign organization', async () => {
    const errors = load('errors.json');
    upstream.route('GET', '/v1/models', { status: 401, json: errors['401'] });
    expect((await failure(adapter().validateCredentials(callContext(credentials())))).field).toBe('api_key');
    upstream.route('GET', '/v1/models', { status: 401, json: errors['401-organization'] });
    const error = await failure(
      adapter().validateCredentials(callContext(credentials({ organization_id: 'org-x' }))),
    );
    expect(error).toBeInstanceOf(InvalidCredentialsError);
    expect(error.field).toBe('organization_id');
  });

  it('blames base_url when the endpoint is not an API', async () => {
    upstream.route('GET', '/v1/models', { status: 404, body: 'Not Found' });
    const missing = await failure(adapter().validateCredentials(callContext(credentials())));
    expect(missing.field).toBe('base_url');
    upstream.route('GET', '/v1/models', { headers: { 'content-type': 'text/html' }, body: '<html></html>' });
    const page = await failure(adapter().validateCredentials(callContext(credentials())));
    expect(page).toBeInstanceOf(MalformedResponseError);
    expect(page.field).toBe('base_url');
  });
});

describe('OpenAI errors', () => {
  defineErrorTests({
    upstream: () => upstream,
    adapter,
    impatientAdapter: () => createOpenAIAdapter({ dispatcher, timeouts: { firstByteMs: 150 } }),
    credentials: () => credentials(),
    refusedCredentials: (port) => ({ api_key: KEY, base_url: `http://127.0.0.1:${port}/v1` }),
    chatRoute: ['POST', '/v1/chat/completions'],
    bodies: load('errors.json'),
    secret: KEY,
  });
});

describe('OpenAI through a proxy', () => {
  it('sends calls and streams through the credential proxy_url', async () => {
    const proxy = await startConnectProxy();
    try {
      const text = fixture(import.meta.url, 'chat-text.sse');
      upstream.route('POST', '/v1/chat/completions', { chunks: splitBytes(text, 40) });
      // No injected dispatcher: the adapter picks the proxy from the credential.
      const stream = await createOpenAIAdapter().chatStream!(
        { model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'Hi' }] },
        callContext(credentials({ proxy_url: proxy.url })),
      );
      expect((await collect(stream.body)).toString('utf8')).toBe(text);
      expect(proxy.tunnels).toEqual([upstream.url.replace('http://', '')]);
      expect(upstream.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
    } finally {
      await proxy.close();
    }
  });
});
