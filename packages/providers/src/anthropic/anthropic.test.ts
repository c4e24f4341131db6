import {
  closedPort,
  type FakeUpstream,
  fixture,
  splitBytes,
  startFakeUpstream,
} from '@switchboard/test-utils';
import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortedError,
  BadRequestError,
  type CallContext,
  type ChatCompletionChunk,
  type ChatRequest,
  InvalidCredentialsError,
  MalformedResponseError,
  ModelNotFoundError,
  PermissionDeniedError,
  type ProviderError,
  QuotaExceededError,
  RateLimitedError,
  TimeoutError,
  UnsupportedError,
  UpstreamUnavailableError,
} from '@switchboard/provider-spec';
import { providerFailure, readAll } from '../../test/provider-test-kit.ts';
import { createAnthropicAdapter } from './index.ts';

const API_KEY = 'sk-ant-test-key-0001';
const load = (name: string) => fixture(import.meta.url, name);

let upstream: FakeUpstream;
let dispatcher: Agent;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  dispatcher = new Agent({ keepAliveTimeout: 1_000 });
});
afterEach(() => upstream.reset());
afterAll(async () => {
  await dispatcher.close();
  await upstream.close();
});

const adapter = () => createAnthropicAdapter({ dispatcher, timeouts: { firstByteMs: 2_000, idleMs: 2_000 } });
const call = (): CallContext => ({
  credentials: { api_key: API_KEY, base_url: upstream.url },
  signal: new AbortController().signal,
});

/** The JSON body of the first recorded request. */
function sentBody(): Record<string, unknown> {
  const sent = upstream.requests[0];
  if (!sent) throw new Error('no request reached the upstream');
  return sent.json() as Record<string, unknown>;
}

/** Parses `data: {...}` frames; the last one must be [DONE]. */
function frames(text: string): ChatCompletionChunk[] {
  const parts = text.split('\n\n').filter((part) => part !== '');
  expect(parts.at(-1)).toBe('data: [DONE]');
  return parts.slice(0, -1).map((part) => {
    expect(part.startsWith('data: ')).toBe(true);
    return JSON.parse(part.slice(6)) as ChatCompletionChunk;
  });
}

const caught = (promise: Promise<unknown>) => providerFailure(promise, 'anthropic', API_KEY);

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

describe('anthropic chat', () => {
  it('translates a full conversation into the exact Messages API request and the answer back', async () => {
    upstream.route('POST', '/v1/messages', { json: JSON.parse(load('messages-tool-use.json')) });
    const request: ChatRequest = {
      model: 'claude-opus-4-6',
      messages: [
        { role: 'system', content: 'You are terse.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather in Paris? And what is this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
          ],
        },
        {
          role: 'assistant',
          content: 'Checking.',
          tool_calls: [
            {
              id: 'toolu_01A',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_01A', content: '18°C, cloudy' },
        { role: 'user', content: 'Thanks. And tomorrow?' },
      ],
      tools: [weatherTool],
      tool_choice: 'auto',
      parallel_tool_calls: false,
      stop: '\n\nHuman:',
      temperature: 0.2,
      max_tokens: 1024,
      user: 'u_7f3a',
    };
    const result = await adapter().chat?.(request, call());

    expect(upstream.requests).toHaveLength(1);
    const sent = upstream.requests[0];
    expect(sent?.method).toBe('POST');
    expect(sent?.url).toBe('/v1/messages');
    expect(sent?.headers['x-api-key']).toBe(API_KEY);
    expect(sent?.headers['anthropic-version']).toBe('2023-06-01');
    expect(sent?.headers['content-type']).toBe('application/json');
    expect(sent?.headers.authorization).toBeUndefined();
    expect(sent?.json()).toEqual({
      model: 'claude-opus-4-6',
      max_tokens: 1024,
      system: [{ type: 'text', text: 'You are terse.' }],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather in Paris? And what is this?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'toolu_01A', name: 'get_weather', input: { city: 'Paris' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_01A', content: '18°C, cloudy' },
            { type: 'text', text: 'Thanks. And tomorrow?' },
          ],
        },
      ],
      tools: [
        {
          name: 'get_weather',
          description: 'Current weather for a city',
          input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      ],
      tool_choice: { type: 'auto', disable_parallel_tool_use: true },
      stop_sequences: ['\n\nHuman:'],
      temperature: 0.2,
      metadata: { user_id: 'u_7f3a' },
    });

    expect(result?.completion).toEqual({
      id: 'msg_01GE2RKp1VYsPzdFs3sS9z5S',
      object: 'chat.completion',
      created: expect.any(Number),
      model: 'claude-sonnet-5-5',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: "I'll check that.",
            tool_calls: [
              {
                id: 'toolu_01QE1WLsSVp5hy5Q3GmGTmjP',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
              },
            ],
          },
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 565, completion_tokens: 48, total_tokens: 613 },
    });
    expect(result?.usage).toEqual({ prompt_tokens: 565, completion_tokens: 48, total_tokens: 613 });
  });

  it("defaults max_tokens to the model's output limit, drops sampling settings the model refuses, maps tool_choice and JSON schema output, counts cached tokens", async () => {
    upstream.route('POST', '/v1/messages', { json: JSON.parse(load('messages-text.json')) });
    const result = await adapter().chat?.(
      {
        model: 'claude-sonnet-5-5',
        messages: [
          { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
          { role: 'user', content: 'Weather?' },
        ],
        tools: [{ type: 'function', function: { name: 'ping' } }],
        tool_choice: { type: 'function', function: { name: 'ping' } },
        stop: ['END', 'STOP'],
        temperature: 1,
        response_format: { type: 'json_schema', json_schema: { name: 'w', schema: { type: 'object' } } },
      },
      call(),
    );
    expect(upstream.requests[0]?.json()).toEqual({
      model: 'claude-sonnet-5-5',
      max_tokens: 128_000,
      system: [{ type: 'text', text: 'Answer in French.' }],
      messages: [{ role: 'user', content: 'Weather?' }],
      tools: [{ name: 'ping', input_schema: { type: 'object', properties: {} } }],
      tool_choice: { type: 'tool', name: 'ping' },
      stop_sequences: ['END', 'STOP'],
      output_config: { format: { type: 'json_schema', schema: { type: 'object' } } },
    });
    expect(result?.completion.choices[0]).toEqual({
      index: 0,
      message: { role: 'assistant', content: 'Bonjour ! Il fait 18 °C à Paris.' },
      finish_reason: 'stop',
    });
    expect(result?.usage).toEqual({
      prompt_tokens: 2160,
      completion_tokens: 14,
      total_tokens: 2174,
      prompt_tokens_details: { cached_tokens: 2048 },
    });
  });

  it('refuses a sampling setting a newer model cannot take, naming it, before any call', async () => {
    const refused = await caught(
      adapter().chat?.(
        { model: 'claude-sonnet-5-5', messages: [{ role: 'user', content: 'Hi' }], temperature: 0.2 },
        call(),
      ) as Promise<unknown>,
    );
    expect(refused).toBeInstanceOf(UnsupportedError);
    expect(refused.field).toBe('temperature');
    expect(upstream.requests).toHaveLength(0);
  });

  it('uses a fallback max_tokens for unknown models and rejects content Anthropic cannot take', async () => {
    upstream.route('POST', '/v1/messages', { json: JSON.parse(load('messages-text.json')) });
    await adapter().chat?.({ model: 'claude-custom', messages: [{ role: 'user', content: 'Hi' }] }, call());
    expect(sentBody().max_tokens).toBe(4096);

    const audio = await caught(
      adapter().chat?.(
        {
          model: 'claude-sonnet-5-5',
          messages: [
            {
              role: 'user',
              content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }],
            },
          ],
        },
        call(),
      ) as Promise<unknown>,
    );
    expect(audio).toBeInstanceOf(BadRequestError);
    expect(audio.field).toBe('messages');
    expect(upstream.requests).toHaveLength(1);
  });

  it('turns a 200 body that is not JSON into a MalformedResponseError', async () => {
    upstream.route('POST', '/v1/messages', {
      body: '<html>gateway</html>',
      headers: { 'content-type': 'text/html' },
    });
    const error = await caught(
      adapter().chat?.(
        { model: 'claude-sonnet-5-5', messages: [{ role: 'user', content: 'Hi' }] },
        call(),
      ) as Promise<unknown>,
    );
    expect(error).toBeInstanceOf(MalformedResponseError);
  });
});

describe('anthropic streaming', () => {
  const streamRequest = (extra: Partial<ChatRequest> = {}): ChatRequest => ({
    model: 'claude-sonnet-5-5',
    messages: [{ role: 'user', content: 'Hello' }],
    stream: true,
    ...extra,
  });
  const base = (id: string, model: string) => ({
    id,
    object: 'chat.completion.chunk',
    created: expect.any(Number),
    model,
  });

  it('translates a text stream cut into 7-byte chunks (events and characters split) with usage at the end', async () => {
    upstream.route('POST', '/v1/messages', {
      headers: { 'content-type': 'text/event-stream; charset=utf-8' },
      chunks: splitBytes(load('stream-text.sse'), 7),
    });
    const stream = await adapter().chatStream?.(
      streamRequest({ stream_options: { include_usage: true } }),
      call(),
    );
    if (!stream) throw new Error('chatStream missing');
    const chunks = frames(await readAll(stream.body));
    expect(sentBody().stream).toBe(true);
    const head = base('msg_01QC4g3HwBThD4BaNtBckFDJ', 'claude-sonnet-5-5');
    expect(chunks).toEqual([
      { ...head, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] },
      { ...head, choices: [{ index: 0, delta: { content: 'Héllo, 世界' }, finish_reason: null }] },
      { ...head, choices: [{ index: 0, delta: { content: ' 🌍! How can I help?' }, finish_reason: null }] },
      { ...head, choices: [{ index: 0, delta: { content: ' "quoted" \\ é' }, finish_reason: null }] },
      { ...head, choices: [{ index: 0, delta: { content: '!' }, finish_reason: null }] },
      { ...head, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
      { ...head, choices: [], usage: { prompt_tokens: 12, completion_tokens: 30, total_tokens: 42 } },
    ]);
    expect(stream.usage()).toEqual({ prompt_tokens: 12, completion_tokens: 30, total_tokens: 42 });
  });

  it('streams tool calls as OpenAI tool_call deltas numbered by tool, not by block', async () => {
    upstream.route('POST', '/v1/messages', { chunks: splitBytes(load('stream-tool-use.sse'), 13) });
    const stream = await adapter().chatStream?.(streamRequest({ tools: [weatherTool] }), call());
    if (!stream) throw new Error('chatStream missing');
    const chunks = frames(await readAll(stream.body));
    const head = base('msg_01K2JbSUMYhez5RHoK9ZCj9U', 'claude-haiku-4-5-20251001');
    expect(chunks).toEqual([
      { ...head, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] },
      { ...head, choices: [{ index: 0, delta: { content: 'Let me check.' }, finish_reason: null }] },
      {
        ...head,
        choices: [
          {
            index: 0,
            delta: {
              tool_calls: [
                {
                  index: 0,
                  id: 'toolu_01KFbKqPYSuAKujiL6mTfzYA',
                  type: 'function',
                  function: { name: 'get_weather', arguments: '' },
                },
              ],
            },
            finish_reason: null,
          },
        ],
      },
      {
        ...head,
        choices: [
          {
            index: 0,
            delta: { tool_calls: [{ index: 0, function: { arguments: '{"city": "Pa' } }] },
            finish_reason: null,
          },
        ],
      },
      {
        ...head,
        choices: [
          {
            index: 0,
            delta: { tool_calls: [{ index: 0, function: { arguments: 'ris"}' } }] },
            finish_reason: null,
          },
        ],
      },
      { ...head, choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] },
    ]);
    // No include_usage: no usage chunk, but the gateway still learns the usage.
    expect(stream.usage()).toEqual({ prompt_tokens: 849, completion_tokens: 47, total_tokens: 896 });
  });

  it('throws the mapped error for an `event: error` in the middle of the stream', async () => {
    upstream.route('POST', '/v1/messages', { chunks: splitBytes(load('stream-overloaded.sse'), 50) });
    const stream = await adapter().chatStream?.(streamRequest(), call());
    if (!stream) throw new Error('chatStream missing');
    const error = await caught(readAll(stream.body));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error.status).toBe(529);
    expect(error.upstreamMessage).toBe('Overloaded');
  });

  it('fails, never succeeds silently, when the upstream dies mid-stream', async () => {
    const text = load('stream-text.sse');
    upstream.route('POST', '/v1/messages', {
      chunks: [text.slice(0, text.indexOf('event: content_block_stop'))],
      destroyAfterChunks: true,
    });
    const stream = await adapter().chatStream?.(streamRequest(), call());
    if (!stream) throw new Error('chatStream missing');
    expect(await caught(readAll(stream.body))).toBeInstanceOf(UpstreamUnavailableError);
  });

  it('fails when the upstream ends the response cleanly but before message_stop', async () => {
    const text = load('stream-text.sse');
    upstream.route('POST', '/v1/messages', { chunks: [text.slice(0, text.indexOf('event: message_delta'))] });
    const stream = await adapter().chatStream?.(streamRequest(), call());
    if (!stream) throw new Error('chatStream missing');
    const error = await caught(readAll(stream.body));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error.message).toContain('message_stop');
  });

  it('cancels the upstream request when the caller aborts', async () => {
    const text = load('stream-text.sse');
    upstream.route('POST', '/v1/messages', (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(text.slice(0, text.indexOf('event: ping')));
      // Never ends: only the caller's abort stops this request.
    });
    const controller = new AbortController();
    const stream = await adapter().chatStream?.(streamRequest(), { ...call(), signal: controller.signal });
    if (!stream) throw new Error('chatStream missing');
    const iterator = stream.body[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);
    controller.abort();
    const error = await caught(iterator.next());
    expect(error).toBeInstanceOf(AbortedError);
    await expect.poll(() => upstream.aborted.length).toBe(1);
  });

  it('times out a stream that goes silent (idle timeout)', async () => {
    const text = load('stream-text.sse');
    upstream.route('POST', '/v1/messages', (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(text.slice(0, text.indexOf('event: ping')));
    });
    const stalling = createAnthropicAdapter({ dispatcher, timeouts: { idleMs: 300 } });
    const stream = await stalling.chatStream?.(streamRequest(), call());
    if (!stream) throw new Error('chatStream missing');
    expect(await caught(readAll(stream.body))).toBeInstanceOf(TimeoutError);
  });

  it('rejects chatStream itself (before any byte) when the upstream refuses the request', async () => {
    upstream.route('POST', '/v1/messages', {
      status: 429,
      json: JSON.parse(load('error-rate-limit.json')),
      headers: { 'retry-after': '3' },
    });
    const error = await caught(adapter().chatStream?.(streamRequest(), call()) as Promise<unknown>);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBe(3000);
  });
});

describe('anthropic validateCredentials', () => {
  it('blames the api_key field without calling the provider when no key is set', async () => {
    const error = await caught(
      adapter().validateCredentials({
        credentials: { base_url: upstream.url },
        signal: new AbortController().signal,
      }),
    );
    expect(error).toBeInstanceOf(InvalidCredentialsError);
    expect(error.field).toBe('api_key');
    expect(upstream.requests).toHaveLength(0);
  });

  it('lists models with GET /v1/models and the key headers', async () => {
    upstream.route('GET', '/v1/models', { json: JSON.parse(load('models.json')) });
    const result = await adapter().validateCredentials(call());
    const sent = upstream.requests[0];
    expect(sent?.method).toBe('GET');
    expect(sent?.url).toBe('/v1/models?limit=1000');
    expect(sent?.headers['x-api-key']).toBe(API_KEY);
    expect(sent?.headers['anthropic-version']).toBe('2023-06-01');
    expect(result.models).toEqual([
      {
        id: 'claude-sonnet-5-5',
        label: 'Claude Sonnet 5.5',
        type: 'llm',
        contextSize: 1_000_000,
        maxOutputTokens: 128_000,
        features: ['tool-call', 'vision', 'structured-output', 'streaming', 'reasoning', 'document'],
        pricing: { inputPerMillion: 2, outputPerMillion: 10 },
      },
      {
        id: 'claude-experimental-1',
        label: 'Claude Experimental',
        type: 'llm',
        contextSize: 200_000,
        maxOutputTokens: 32_000,
        features: ['tool-call', 'streaming', 'reasoning'],
      },
    ]);
  });

  it('checks a custom model with GET /v1/models/{id}', async () => {
    const models = JSON.parse(load('models.json')) as { data: unknown[] };
    upstream.route('GET', '/v1/models/claude-experimental-1', { json: models.data[1] });
    const result = await adapter().validateCredentials(call(), {
      model: 'claude-experimental-1',
      type: 'llm',
    });
    expect(upstream.requests[0]?.url).toBe('/v1/models/claude-experimental-1');
    expect(result.models?.map((model) => model.id)).toEqual(['claude-experimental-1']);
  });

  it('blames the key for a 401 and the base URL for a 404 or a refused connection', async () => {
    upstream.route('GET', '/v1/models', { status: 401, json: JSON.parse(load('error-authentication.json')) });
    const invalid = await caught(adapter().validateCredentials(call()));
    expect(invalid).toBeInstanceOf(InvalidCredentialsError);
    expect(invalid.field).toBe('api_key');

    upstream.reset();
    const notFound = await caught(adapter().validateCredentials(call()));
    expect(notFound).toBeInstanceOf(ModelNotFoundError);
    expect(notFound.field).toBe('base_url');

    const port = await closedPort();
    const refused = await caught(
      adapter().validateCredentials({
        credentials: { api_key: API_KEY, base_url: `http://127.0.0.1:${port}` },
        signal: new AbortController().signal,
      }),
    );
    expect(refused).toBeInstanceOf(UpstreamUnavailableError);
    expect(refused.field).toBe('base_url');
  });
});

describe('anthropic errors', () => {
  const chat = () =>
    adapter().chat?.(
      { model: 'claude-sonnet-5-5', messages: [{ role: 'user', content: 'Hi' }] },
      call(),
    ) as Promise<unknown>;
  const cases: [
    string,
    number,
    Record<string, string>,
    string,
    new (...args: never[]) => ProviderError,
    Partial<ProviderError & { retryAfterMs: number }>,
  ][] = [
    ['invalid request', 400, {}, 'error-invalid-request.json', BadRequestError, { field: 'messages' }],
    ['credit balance', 400, {}, 'error-credit-balance.json', QuotaExceededError, {}],
    ['authentication', 401, {}, 'error-authentication.json', InvalidCredentialsError, { field: 'api_key' }],
    ['permission', 403, {}, 'error-permission.json', PermissionDeniedError, {}],
    ['not found', 404, {}, 'error-not-found.json', ModelNotFoundError, { field: 'model' }],
    [
      'rate limit with retry-after',
      429,
      { 'retry-after': '17' },
      'error-rate-limit.json',
      RateLimitedError,
      { retryAfterMs: 17_000 },
    ],
    [
      'rate limit without retry-after',
      429,
      {},
      'error-rate-limit.json',
      RateLimitedError,
      { retryAfterMs: undefined },
    ],
    ['api error', 500, {}, 'error-api.json', UpstreamUnavailableError, {}],
    ['overloaded', 529, {}, 'error-overloaded.json', UpstreamUnavailableError, {}],
  ];
  it.each(cases)(
    '%s (%i) maps to its error class',
    async (_name, status, headers, file, errorClass, fields) => {
      upstream.route('POST', '/v1/messages', {
        status,
        headers: { 'content-type': 'application/json', ...headers },
        body: load(file),
      });
      const error = await caught(chat());
      expect(error).toBeInstanceOf(errorClass);
      expect(error.status).toBe(status);
      expect(error).toMatchObject(fields);
      expect(error.message.startsWith('Anthropic: ')).toBe(true);
    },
  );

  it('maps a 503 with an HTML body to upstream_unavailable', async () => {
    upstream.route('POST', '/v1/messages', {
      status: 503,
      headers: { 'content-type': 'text/html' },
      body: '<html><body>503 Service Unavailable</body></html>',
    });
    const error = await caught(chat());
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error.status).toBe(503);
  });

  it('removes the key when the upstream echoes it back', async () => {
    upstream.route('POST', '/v1/messages', {
      status: 401,
      json: {
        type: 'error',
        error: { type: 'authentication_error', message: `invalid x-api-key: ${API_KEY}` },
      },
    });
    const error = await caught(chat());
    expect(error.upstreamMessage).toBe('invalid x-api-key: [redacted]');
  });

  it('times out when the upstream never answers', async () => {
    upstream.route('POST', '/v1/messages', { hang: true });
    const slow = createAnthropicAdapter({ dispatcher, timeouts: { firstByteMs: 200 } });
    const error = await caught(
      slow.chat?.(
        { model: 'claude-sonnet-5-5', messages: [{ role: 'user', content: 'Hi' }] },
        call(),
      ) as Promise<unknown>,
    );
    expect(error).toBeInstanceOf(TimeoutError);
  });
});
