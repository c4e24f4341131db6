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
  BadRequestError,
  type CallContext,
  type ChatRequest,
  MalformedResponseError,
  ModelNotFoundError,
  TimeoutError,
  UpstreamUnavailableError,
} from '@switchboard/provider-spec';
import { readAll } from '../../test/provider-test-kit.ts';
import { createCohereAdapter } from './index.ts';

const API_KEY = 'co-test-cohere-0001';
let upstream: FakeUpstream;
let dispatcher: Agent;
const adapter = () => createCohereAdapter({ dispatcher });
const context = (signal: AbortSignal = new AbortController().signal): CallContext => ({
  credentials: { api_key: API_KEY, base_url: `${upstream.url}/` },
  signal,
});
const json = (name: string) => JSON.parse(fixture(import.meta.url, name)) as unknown;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  dispatcher = new Agent();
});
afterAll(async () => {
  await dispatcher.close();
  await upstream.close();
});
beforeEach(() => upstream.reset());

/** The JSON payloads of an OpenAI SSE stream, `[DONE]` kept as the string. */
function payloads(text: string): unknown[] {
  return text
    .split('\n\n')
    .filter((event) => event !== '')
    .map((event) => {
      expect(event.startsWith('data: ')).toBe(true);
      const data = event.slice('data: '.length);
      return data === '[DONE]' ? data : JSON.parse(data);
    });
}

const expectedHeaders = (accept = 'application/json') =>
  expect.objectContaining({ authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', accept });

const toolRequest: ChatRequest = {
  model: 'command-a-03-2025',
  messages: [
    { role: 'system', content: 'You are a weather bot.' },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'Weather in Paris?' },
        { type: 'image_url', image_url: { url: 'https://example.com/paris.png', detail: 'low' } },
      ],
    },
    {
      role: 'assistant',
      content: 'I will look it up.',
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      ],
    },
    { role: 'tool', tool_call_id: 'call_1', content: '{"temperature_c":21}' },
  ],
  tools: [
    {
      type: 'function',
      function: {
        name: 'get_weather',
        description: 'Current weather',
        parameters: { type: 'object', properties: { city: { type: 'string' } } },
        strict: true,
      },
    },
  ],
  tool_choice: 'required',
  response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' } } },
  max_completion_tokens: 300,
  stop: 'END',
  temperature: 0.2,
  top_p: 0.9,
  seed: 7,
};

describe('cohere chat', () => {
  it('translates the request and the text answer', async () => {
    upstream.route('POST', '/v2/chat', { json: json('chat-response-text.json') });
    const result = await adapter().chat!(
      { model: 'command-r7b-12-2024', messages: [{ role: 'user', content: 'What is an LLM?' }] },
      context(),
    );
    const [request] = upstream.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/v2/chat');
    expect(request?.headers).toEqual(expectedHeaders());
    expect(request?.json()).toEqual({
      model: 'command-r7b-12-2024',
      messages: [{ role: 'user', content: 'What is an LLM?' }],
      stream: false,
    });
    expect(result.completion).toEqual({
      id: 'c14c80c3-18eb-4519-9460-6c92edd8cfb4',
      object: 'chat.completion',
      created: expect.any(Number),
      model: 'command-r7b-12-2024',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content:
              'LLMs stand for Large Language Models, which are a type of neural network model specialized in processing and generating human language.',
          },
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 17, completion_tokens: 24, total_tokens: 41 },
    });
    expect(result.usage).toEqual({ prompt_tokens: 17, completion_tokens: 24, total_tokens: 41 });
  });

  it('translates roles, tools, tool choice and response format, and a tool-call answer', async () => {
    upstream.route('POST', '/v2/chat', { json: json('chat-response-tool-call.json') });
    const result = await adapter().chat!(toolRequest, context());
    expect(upstream.requests[0]?.json()).toEqual({
      model: 'command-a-03-2025',
      messages: [
        { role: 'system', content: 'You are a weather bot.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather in Paris?' },
            { type: 'image_url', image_url: { url: 'https://example.com/paris.png', detail: 'low' } },
          ],
        },
        {
          role: 'assistant',
          tool_plan: 'I will look it up.',
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temperature_c":21}' },
      ],
      stream: false,
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Current weather',
            parameters: { type: 'object', properties: { city: { type: 'string' } } },
          },
        },
      ],
      strict_tools: true,
      tool_choice: 'REQUIRED',
      response_format: { type: 'json_object', json_schema: { type: 'object' } },
      max_tokens: 300,
      stop_sequences: ['END'],
      temperature: 0.2,
      p: 0.9,
      seed: 7,
    });
    expect(result.completion.choices).toEqual([
      {
        index: 0,
        message: {
          role: 'assistant',
          content: 'I will look up the weather.',
          tool_calls: [
            {
              id: 'get_weather_k2m9x1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city": "Paris"}' },
            },
          ],
        },
        finish_reason: 'tool_calls',
      },
    ]);
    expect(result.usage).toEqual({ prompt_tokens: 31, completion_tokens: 12, total_tokens: 43 });
  });

  it('narrows the tools to a named tool choice', async () => {
    upstream.route('POST', '/v2/chat', { json: json('chat-response-tool-call.json') });
    await adapter().chat!(
      {
        model: 'command-a-03-2025',
        messages: [{ role: 'user', content: 'hi' }],
        tools: [
          { type: 'function', function: { name: 'a' } },
          { type: 'function', function: { name: 'b' } },
        ],
        tool_choice: { type: 'function', function: { name: 'b' } },
      },
      context(),
    );
    expect(upstream.requests[0]?.json()).toMatchObject({
      tools: [{ type: 'function', function: { name: 'b' } }],
      tool_choice: 'REQUIRED',
    });
  });

  it('refuses what Cohere cannot take, without calling it', async () => {
    await expect(
      adapter().chat!(
        { model: 'command-a-03-2025', messages: [{ role: 'user', content: 'hi' }], n: 2 },
        context(),
      ),
    ).rejects.toMatchObject({ constructor: BadRequestError, field: 'n' });
    await expect(
      adapter().chat!(
        {
          model: 'command-a-03-2025',
          messages: [
            {
              role: 'user',
              content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }],
            },
          ],
        },
        context(),
      ),
    ).rejects.toMatchObject({ constructor: BadRequestError, field: 'messages' });
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('cohere chat stream', () => {
  const streamRequest: ChatRequest = {
    model: 'command-a-03-2025',
    messages: [{ role: 'user', content: 'Greet me' }],
    stream: true,
    stream_options: { include_usage: true },
  };

  it('re-encodes events split inside events and inside multi-byte characters', async () => {
    // 7-byte chunks cut through event lines and through the 2-, 3- and 4-byte characters.
    const chunks = splitBytes(fixture(import.meta.url, 'chat-stream-text.sse'), 7);
    // Some chunk starts with a UTF-8 continuation byte: a character really is cut in two.
    expect(chunks.some((chunk) => ((chunk[0] ?? 0) & 0xc0) === 0x80)).toBe(true);
    upstream.route('POST', '/v2/chat', { headers: { 'content-type': 'text/event-stream' }, chunks });
    const stream = await adapter().chatStream!(streamRequest, context());
    const events = payloads(await readAll(stream.body));
    const id = '9b0e5c4d-0f7a-4c1e-8f3a-1d2c3b4a5e6f';
    const base = {
      id,
      object: 'chat.completion.chunk',
      created: expect.any(Number),
      model: 'command-a-03-2025',
    };
    expect(events).toEqual([
      { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: { content: 'Grüße aus ' }, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: { content: '東京 🌸' }, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: { content: '!' }, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
      { ...base, choices: [], usage: { prompt_tokens: 3, completion_tokens: 7, total_tokens: 10 } },
      '[DONE]',
    ]);
    expect(stream.usage()).toEqual({ prompt_tokens: 3, completion_tokens: 7, total_tokens: 10 });
    const [request] = upstream.requests;
    expect(request?.headers).toEqual(expectedHeaders('text/event-stream'));
    expect(request?.json()).toEqual({
      model: 'command-a-03-2025',
      messages: [{ role: 'user', content: 'Greet me' }],
      stream: true,
    });
  });

  it('streams the tool plan and tool-call deltas, numbered from 0', async () => {
    upstream.route('POST', '/v2/chat', {
      chunks: splitBytes(fixture(import.meta.url, 'chat-stream-tool-call.sse'), 13),
    });
    const stream = await adapter().chatStream!({ ...streamRequest, stream_options: undefined }, context());
    const events = payloads(await readAll(stream.body)) as {
      choices?: { delta: unknown; finish_reason: unknown }[];
    }[];
    expect(events.at(-1)).toBe('[DONE]');
    expect(events.slice(0, -1).map((event) => event.choices?.[0])).toEqual([
      { index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null },
      { index: 0, delta: { content: 'I will search' }, finish_reason: null },
      { index: 0, delta: { content: ' the weather.' }, finish_reason: null },
      {
        index: 0,
        delta: {
          tool_calls: [
            {
              index: 0,
              id: 'get_weather_nsz5zm3w56q3',
              type: 'function',
              function: { name: 'get_weather', arguments: '' },
            },
          ],
        },
        finish_reason: null,
      },
      {
        index: 0,
        delta: { tool_calls: [{ index: 0, function: { arguments: '{\n    "' } }] },
        finish_reason: null,
      },
      {
        index: 0,
        delta: { tool_calls: [{ index: 0, function: { arguments: 'location' } }] },
        finish_reason: null,
      },
      {
        index: 0,
        delta: { tool_calls: [{ index: 0, function: { arguments: '": "Toronto"\n}' } }] },
        finish_reason: null,
      },
      {
        index: 0,
        delta: {
          tool_calls: [
            {
              index: 1,
              id: 'get_weather_w4sa1qzzt3c8',
              type: 'function',
              function: { name: 'get_weather', arguments: '' },
            },
          ],
        },
        finish_reason: null,
      },
      {
        index: 0,
        delta: { tool_calls: [{ index: 1, function: { arguments: '{"location": "Berlin"}' } }] },
        finish_reason: null,
      },
      { index: 0, delta: {}, finish_reason: 'tool_calls' },
    ]);
    // Without include_usage no usage chunk is sent, but the gateway still learns the usage.
    expect(stream.usage()).toEqual({ prompt_tokens: 37, completion_tokens: 28, total_tokens: 65 });
  });

  it('fails, never finishes quietly, when the stream ends before message-end', async () => {
    const text = fixture(import.meta.url, 'chat-stream-text.sse');
    upstream.route('POST', '/v2/chat', { chunks: [text.slice(0, text.indexOf('event: message-end'))] });
    const stream = await adapter().chatStream!(streamRequest, context());
    await expect(readAll(stream.body)).rejects.toBeInstanceOf(UpstreamUnavailableError);
  });

  it('fails when the upstream connection dies mid-stream', async () => {
    const text = fixture(import.meta.url, 'chat-stream-text.sse');
    upstream.route('POST', '/v2/chat', { chunks: [text.slice(0, 400)], destroyAfterChunks: true });
    const stream = await adapter().chatStream!(streamRequest, context());
    await expect(readAll(stream.body)).rejects.toBeInstanceOf(UpstreamUnavailableError);
  });

  it('turns a message-end with finish_reason ERROR into an error', async () => {
    upstream.route('POST', '/v2/chat', {
      body:
        'event: message-start\ndata: {"type":"message-start","id":"x","delta":{"message":{"role":"assistant"}}}\n\n' +
        'event: message-end\ndata: {"type":"message-end","delta":{"finish_reason":"ERROR","error":"internal failure"}}\n\n',
    });
    const stream = await adapter().chatStream!(streamRequest, context());
    await expect(readAll(stream.body)).rejects.toMatchObject({
      constructor: UpstreamUnavailableError,
      upstreamMessage: 'internal failure',
    });
  });

  it('rejects an event that is not JSON', async () => {
    upstream.route('POST', '/v2/chat', { body: 'event: message-start\ndata: {oops\n\n' });
    const stream = await adapter().chatStream!(streamRequest, context());
    await expect(readAll(stream.body)).rejects.toBeInstanceOf(MalformedResponseError);
  });

  it('times out a stream that stalls mid-answer', async () => {
    const text = fixture(import.meta.url, 'chat-stream-text.sse');
    upstream.route('POST', '/v2/chat', (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(text.slice(0, text.indexOf('event: content-delta')));
    });
    const stalling = createCohereAdapter({ dispatcher, timeouts: { idleMs: 150 } });
    const stream = await stalling.chatStream!(streamRequest, context());
    await expect(readAll(stream.body)).rejects.toBeInstanceOf(TimeoutError);
  });

  it('cancels the upstream request when the caller aborts', async () => {
    const text = fixture(import.meta.url, 'chat-stream-text.sse');
    upstream.route('POST', '/v2/chat', (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(text.slice(0, text.indexOf('event: content-delta')));
    });
    const controller = new AbortController();
    const stream = await adapter().chatStream!(streamRequest, context(controller.signal));
    const iterator = stream.body[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    controller.abort();
    await expect(iterator.next()).rejects.toBeInstanceOf(AbortedError);
    await expect.poll(() => upstream.aborted.length).toBe(1);
    expect(upstream.aborted[0]?.path).toBe('/v2/chat');
  });
});

describe('cohere embed', () => {
  it('sends texts with the default input type and returns OpenAI embeddings', async () => {
    upstream.route('POST', '/v2/embed', { json: json('embed-response.json') });
    const result = await adapter().embed!(
      { model: 'embed-v4.0', input: ['hello', 'goodbye'], dimensions: 256 },
      context(),
    );
    const [request] = upstream.requests;
    expect(request?.path).toBe('/v2/embed');
    expect(request?.headers).toEqual(expectedHeaders());
    expect(request?.json()).toEqual({
      model: 'embed-v4.0',
      input_type: 'search_document',
      texts: ['hello', 'goodbye'],
      embedding_types: ['float'],
      output_dimension: 256,
    });
    expect(result).toEqual({
      object: 'list',
      data: [
        { object: 'embedding', index: 0, embedding: [0.0163, -0.0083, 0.0412] },
        { object: 'embedding', index: 1, embedding: [0.0121, 0.0042, -0.031] },
      ],
      model: 'embed-v4.0',
      usage: { prompt_tokens: 2, total_tokens: 2 },
    });
  });

  it('passes input_type through and encodes base64 as OpenAI does', async () => {
    upstream.route('POST', '/v2/embed', { json: json('embed-response.json') });
    const result = await adapter().embed!(
      { model: 'embed-v4.0', input: 'hello', input_type: 'search_query', encoding_format: 'base64' },
      context(),
    );
    expect(upstream.requests[0]?.json()).toMatchObject({ input_type: 'search_query', texts: ['hello'] });
    const first = result.data[0]?.embedding as string;
    const decoded = Buffer.from(first, 'base64');
    expect(decoded.length).toBe(12);
    expect(decoded.readFloatLE(0)).toBeCloseTo(0.0163, 6);
    expect(decoded.readFloatLE(8)).toBeCloseTo(0.0412, 6);
  });

  it('refuses token-array input', async () => {
    await expect(
      adapter().embed!({ model: 'embed-v4.0', input: [1, 2, 3] }, context()),
    ).rejects.toMatchObject({
      constructor: BadRequestError,
      field: 'input',
    });
  });
});

describe('cohere rerank', () => {
  it('sends strings and returns canonical results, documents on request', async () => {
    upstream.route('POST', '/v2/rerank', { json: json('rerank-response.json') });
    const documents = [
      'Carson City is the capital of Nevada.',
      'Saipan is a capital.',
      { text: 'Charlotte Amalie is in the Virgin Islands.' },
      'Washington, D.C. is the capital of the United States.',
    ];
    const result = await adapter().rerank!(
      {
        model: 'rerank-v3.5',
        query: 'What is the capital of the United States?',
        documents,
        top_n: 2,
        return_documents: true,
      },
      context(),
    );
    const [request] = upstream.requests;
    expect(request?.path).toBe('/v2/rerank');
    expect(request?.headers).toEqual(expectedHeaders());
    expect(request?.json()).toEqual({
      model: 'rerank-v3.5',
      query: 'What is the capital of the United States?',
      documents: [
        'Carson City is the capital of Nevada.',
        'Saipan is a capital.',
        'Charlotte Amalie is in the Virgin Islands.',
        'Washington, D.C. is the capital of the United States.',
      ],
      top_n: 2,
    });
    expect(result).toEqual({
      id: '0a1b2c3d-4e5f-6789-abcd-ef0123456789',
      model: 'rerank-v3.5',
      results: [
        {
          index: 3,
          relevance_score: 0.9991,
          document: { text: 'Washington, D.C. is the capital of the United States.' },
        },
        { index: 0, relevance_score: 0.3271, document: { text: 'Carson City is the capital of Nevada.' } },
      ],
      usage: { total_tokens: 0 },
    });
  });

  it('leaves documents out by default', async () => {
    upstream.route('POST', '/v2/rerank', { json: json('rerank-response.json') });
    const result = await adapter().rerank!(
      { model: 'rerank-v3.5', query: 'q', documents: ['a', 'b', 'c', 'd'] },
      context(),
    );
    expect(result.results).toEqual([
      { index: 3, relevance_score: 0.9991 },
      { index: 0, relevance_score: 0.3271 },
    ]);
  });
});

describe('cohere credential validation', () => {
  it('lists the models the key can use', async () => {
    upstream.route('GET', '/v1/models', { json: json('models-response.json') });
    const result = await adapter().validateCredentials(context());
    const [request] = upstream.requests;
    expect(request?.method).toBe('GET');
    expect(request?.url).toBe('/v1/models?page_size=1000');
    expect(request?.headers).toEqual(expect.objectContaining({ authorization: `Bearer ${API_KEY}` }));
    expect(result).toEqual({
      models: [
        { id: 'command-a-03-2025', type: 'llm', contextSize: 256000 },
        { id: 'embed-v4.0', type: 'text-embedding', contextSize: 128000 },
        { id: 'rerank-v3.5', type: 'rerank', contextSize: 4096 },
      ],
    });
  });

  it('checks a custom model against its type', async () => {
    upstream.route('GET', '/v1/models/command-r7b-12-2024', { json: json('model-response.json') });
    await expect(
      adapter().validateCredentials(context(), { model: 'command-r7b-12-2024', type: 'llm' }),
    ).resolves.toEqual({
      models: [{ id: 'command-r7b-12-2024', type: 'llm', contextSize: 132096 }],
    });
    await expect(
      adapter().validateCredentials(context(), { model: 'command-r7b-12-2024', type: 'rerank' }),
    ).rejects.toMatchObject({ constructor: BadRequestError, field: 'model' });
  });

  it('blames the model when a custom model does not exist, and the base URL when the list is missing', async () => {
    upstream.route('GET', '/v1/models/nope', {
      status: 404,
      json: {
        message:
          "model 'nope' not found, make sure the correct model ID was used and that you have access to the model.",
      },
    });
    await expect(
      adapter().validateCredentials(context(), { model: 'nope', type: 'llm' }),
    ).rejects.toMatchObject({
      constructor: ModelNotFoundError,
      field: 'model',
    });
    await expect(adapter().validateCredentials(context())).rejects.toMatchObject({
      constructor: ModelNotFoundError,
      field: 'base_url',
    });
  });

  it('needs a key before calling anyone', async () => {
    await expect(
      adapter().validateCredentials({
        credentials: { base_url: upstream.url },
        signal: new AbortController().signal,
      }),
    ).rejects.toMatchObject({ code: 'invalid_credentials', field: 'api_key' });
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('cohere proxy and abort', () => {
  it('sends calls through the credential proxy_url', async () => {
    const proxy = await startConnectProxy();
    try {
      upstream.route('POST', '/v2/embed', { json: json('embed-response.json') });
      // No injected dispatcher: the adapter picks the proxy from the credential.
      const result = await createCohereAdapter().embed!(
        { model: 'embed-v4.0', input: ['hello', 'goodbye'] },
        {
          credentials: { api_key: API_KEY, base_url: upstream.url, proxy_url: proxy.url },
          signal: new AbortController().signal,
        },
      );
      expect(result.usage).toEqual({ prompt_tokens: 2, total_tokens: 2 });
      expect(proxy.tunnels).toEqual([upstream.url.replace('http://', '')]);
      expect(upstream.requests[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    } finally {
      await proxy.close();
    }
  });

  it('cancels a waiting non-streaming call when the caller aborts', async () => {
    upstream.route('POST', '/v2/embed', { hang: true });
    const controller = new AbortController();
    const call = adapter().embed!({ model: 'embed-v4.0', input: 'hi' }, context(controller.signal));
    await expect.poll(() => upstream.requests.length).toBe(1);
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(AbortedError);
    await expect.poll(() => upstream.aborted.length).toBe(1);
  });
});
