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
  RateLimitedError,
  TimeoutError,
  UpstreamUnavailableError,
} from '@switchboard/provider-spec';
import { providerFailure, readAll } from '../../test/provider-test-kit.ts';
import { createGeminiAdapter } from './index.ts';

const API_KEY = 'AIza-test-key-0001';
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

const adapter = () => createGeminiAdapter({ dispatcher, timeouts: { firstByteMs: 2_000, idleMs: 2_000 } });
const call = (): CallContext => ({
  credentials: { api_key: API_KEY, base_url: upstream.url },
  signal: new AbortController().signal,
});

/** The first recorded request, checked to carry the key in the header and nowhere in the URL. */
function sent() {
  const request = upstream.requests[0];
  if (!request) throw new Error('no request reached the upstream');
  expect(request.headers['x-goog-api-key']).toBe(API_KEY);
  expect(request.url).not.toContain(API_KEY);
  expect(request.headers.authorization).toBeUndefined();
  return request;
}

function frames(text: string): ChatCompletionChunk[] {
  const parts = text.split('\n\n').filter((part) => part !== '');
  expect(parts.at(-1)).toBe('data: [DONE]');
  return parts.slice(0, -1).map((part) => JSON.parse(part.slice('data: '.length)) as ChatCompletionChunk);
}

const caught = (promise: Promise<unknown> | undefined) => providerFailure(promise, 'gemini', API_KEY);

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
      additionalProperties: false,
    },
  },
};

describe('gemini chat', () => {
  it('translates a conversation into the exact generateContent request and a function call back', async () => {
    upstream.route('POST', '/v1beta/models/gemini-2.0-flash:generateContent', {
      json: JSON.parse(load('generate-function-call.json')),
    });
    const request: ChatRequest = {
      model: 'gemini-2.0-flash',
      messages: [
        { role: 'system', content: 'You are terse.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: "What is in this picture, and what's the weather in Paris?" },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.webp' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '18°C, cloudy' },
        { role: 'user', content: 'Now divide 10 by 2.' },
      ],
      tools: [weatherTool],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      temperature: 0.5,
      top_p: 0.95,
      max_completion_tokens: 1024,
      stop: ['END'],
      seed: 7,
    };
    const result = await adapter().chat?.(request, call());

    const request0 = sent();
    expect(request0.method).toBe('POST');
    expect(request0.url).toBe('/v1beta/models/gemini-2.0-flash:generateContent');
    expect(request0.headers['content-type']).toBe('application/json');
    expect(request0.json()).toEqual({
      systemInstruction: { parts: [{ text: 'You are terse.' }] },
      contents: [
        {
          role: 'user',
          parts: [
            { text: "What is in this picture, and what's the weather in Paris?" },
            { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } },
            { fileData: { mimeType: 'image/webp', fileUri: 'https://example.com/cat.webp' } },
          ],
        },
        { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] },
        {
          role: 'user',
          parts: [
            {
              functionResponse: {
                name: 'get_weather',
                response: { name: 'get_weather', content: '18°C, cloudy' },
              },
            },
            { text: 'Now divide 10 by 2.' },
          ],
        },
      ],
      tools: [
        {
          functionDeclarations: [
            {
              name: 'get_weather',
              description: 'Current weather for a city',
              parametersJsonSchema: {
                type: 'object',
                properties: { city: { type: 'string' } },
                required: ['city'],
                additionalProperties: false,
              },
            },
          ],
        },
      ],
      toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } },
      generationConfig: {
        temperature: 0.5,
        topP: 0.95,
        maxOutputTokens: 1024,
        stopSequences: ['END'],
        seed: 7,
      },
    });

    expect(result?.completion).toEqual({
      id: 'fdSfaLzWLOKMm9IPzITjqQc',
      object: 'chat.completion',
      created: expect.any(Number),
      model: 'gemini-2.0-flash',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'call_fdSfaLzWLOKMm9IPzITjqQc_0',
                type: 'function',
                function: { name: 'customDivide', arguments: '{"numerator":10,"denominator":2}' },
              },
            ],
          },
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 17, completion_tokens: 6, total_tokens: 23 },
    });
  });

  it('gives thought parts as reasoning, not text, counts thinking as reasoning tokens, and maps structured output', async () => {
    upstream.route('POST', '/v1beta/models/gemini-3.8-flash:generateContent', {
      json: JSON.parse(load('generate-text.json')),
    });
    const result = await adapter().chat?.(
      {
        model: 'gemini-3.8-flash',
        messages: [
          { role: 'user', content: 'Rate the risk.' },
          {
            role: 'assistant',
            content: 'Checking.',
            tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'lookup', arguments: '' } }],
          },
          { role: 'tool', tool_call_id: 'call_9', content: [{ type: 'text', text: 'nothing found' }] },
        ],
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'risk',
            schema: { type: 'object', properties: { level: { type: 'string' } } },
          },
        },
      },
      call(),
    );
    expect(sent().json()).toEqual({
      contents: [
        { role: 'user', parts: [{ text: 'Rate the risk.' }] },
        {
          role: 'model',
          parts: [
            { text: 'Checking.' },
            {
              functionCall: { name: 'lookup', args: {} },
              thoughtSignature: 'skip_thought_signature_validator',
            },
          ],
        },
        {
          role: 'user',
          parts: [
            { functionResponse: { name: 'lookup', response: { name: 'lookup', content: 'nothing found' } } },
          ],
        },
      ],
      generationConfig: {
        responseMimeType: 'application/json',
        responseJsonSchema: { type: 'object', properties: { level: { type: 'string' } } },
      },
    });
    expect(result?.completion.choices[0]).toEqual({
      index: 0,
      message: { role: 'assistant', content: 'low', reasoning_content: 'Thinking about colours…' },
      finish_reason: 'stop',
    });
    expect(result?.usage).toEqual({
      prompt_tokens: 9,
      completion_tokens: 21,
      total_tokens: 30,
      prompt_tokens_details: { cached_tokens: 4 },
      completion_tokens_details: { reasoning_tokens: 20 },
    });
  });

  it('reports a blocked prompt as content_filter', async () => {
    upstream.route('POST', '/v1beta/models/gemini-2.5-flash:generateContent', {
      json: JSON.parse(load('generate-blocked.json')),
    });
    const result = await adapter().chat?.(
      { model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'x' }] },
      call(),
    );
    expect(result?.completion.choices[0]).toEqual({
      index: 0,
      message: { role: 'assistant', content: null },
      finish_reason: 'content_filter',
    });
    expect(result?.usage).toEqual({ prompt_tokens: 8, completion_tokens: 0, total_tokens: 8 });
  });

  it('refuses a tool result whose call it cannot find, before calling Gemini', async () => {
    const error = await caught(
      adapter().chat?.(
        { model: 'gemini-2.5-flash', messages: [{ role: 'tool', tool_call_id: 'call_x', content: 'ok' }] },
        call(),
      ),
    );
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error.field).toBe('messages');
    expect(upstream.requests).toHaveLength(0);
  });

  it('turns a 200 body that is not JSON into a MalformedResponseError', async () => {
    upstream.route('POST', '/v1beta/models/gemini-2.5-flash:generateContent', { body: 'not json at all' });
    const error = await caught(
      adapter().chat?.({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'x' }] }, call()),
    );
    expect(error).toBeInstanceOf(MalformedResponseError);
  });
});

describe('gemini streaming', () => {
  const path = '/v1beta/models/gemini-2.5-flash:streamGenerateContent';
  const request = (extra: Partial<ChatRequest> = {}): ChatRequest => ({
    model: 'gemini-2.5-flash',
    messages: [{ role: 'user', content: 'Why is the sky blue?' }],
    stream: true,
    ...extra,
  });
  const head = (id: string, model: string) => ({
    id,
    object: 'chat.completion.chunk',
    created: expect.any(Number),
    model,
  });

  it('translates a CRLF-framed stream cut into 5-byte chunks (events and characters split), usage from the last chunk', async () => {
    upstream.route('POST', path, {
      headers: { 'content-type': 'text/event-stream' },
      chunks: splitBytes(load('stream-text.sse'), 5),
    });
    const stream = await adapter().chatStream?.(request({ stream_options: { include_usage: true } }), call());
    if (!stream) throw new Error('chatStream missing');
    const chunks = frames(await readAll(stream.body));
    const sentRequest = sent();
    expect(sentRequest.url).toBe(`${path}?alt=sse`);
    expect(sentRequest.json()).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'Why is the sky blue?' }] }],
    });
    const base = head('qS77aMCqBu6mvr0PsJiykAw', 'gemini-2.5-flash');
    const usage = {
      prompt_tokens: 7,
      completion_tokens: 105,
      total_tokens: 112,
      completion_tokens_details: { reasoning_tokens: 45 },
    };
    expect(chunks).toEqual([
      { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: { content: 'The sky is blue — ' }, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: { content: '"quoted" \\ backé ' }, finish_reason: null }] },
      // A thought summary is the reasoning, never the text.
      { ...base, choices: [{ index: 0, delta: { reasoning_content: '(thinking)' }, finish_reason: null }] },
      {
        ...base,
        choices: [
          {
            index: 0,
            delta: { content: '天空は青い 🌈 because of Rayleigh scattering.' },
            finish_reason: null,
          },
        ],
      },
      { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
      { ...base, choices: [], usage },
    ]);
    expect(stream.usage()).toEqual(usage);
  });

  it('streams whole function calls as tool_call deltas with finish_reason tool_calls', async () => {
    upstream.route('POST', '/v1beta/models/gemini-2.0-flash:streamGenerateContent', {
      chunks: splitBytes(load('stream-function-call.sse'), 11),
    });
    const stream = await adapter().chatStream?.(
      request({ model: 'gemini-2.0-flash', tools: [weatherTool] }),
      call(),
    );
    if (!stream) throw new Error('chatStream missing');
    const chunks = frames(await readAll(stream.body));
    const base = head('Ym9vb3N0cmVhbQ', 'gemini-2.0-flash');
    const toolDelta = (index: number, city: string) => ({
      ...base,
      choices: [
        {
          index: 0,
          delta: {
            tool_calls: [
              {
                index,
                id: `call_Ym9vb3N0cmVhbQ_${index}`,
                type: 'function',
                function: { name: 'get_weather', arguments: JSON.stringify({ city }) },
              },
            ],
          },
          finish_reason: null,
        },
      ],
    });
    expect(chunks).toEqual([
      { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: { content: 'Let me look that up.' }, finish_reason: null }] },
      toolDelta(0, 'Paris'),
      toolDelta(1, 'Zürich'),
      { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] },
    ]);
    expect(stream.usage()).toEqual({ prompt_tokens: 31, completion_tokens: 18, total_tokens: 49 });
  });

  it('throws the mapped error for an error object in the middle of the stream', async () => {
    upstream.route('POST', path, { chunks: splitBytes(load('stream-error.sse'), 64) });
    const stream = await adapter().chatStream?.(request(), call());
    if (!stream) throw new Error('chatStream missing');
    const error = await caught(readAll(stream.body));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error.status).toBe(503);
    expect(error.upstreamMessage).toBe('The model is overloaded. Please try again later.');
  });

  it('fails when the stream ends without a finishReason, cleanly or by a dropped connection', async () => {
    const first = `${load('stream-text.sse').split('\r\n\r\n')[0]}\r\n\r\n`;
    upstream.route('POST', path, { chunks: [first] });
    const ended = await adapter().chatStream?.(request(), call());
    if (!ended) throw new Error('chatStream missing');
    const endedError = await caught(readAll(ended.body));
    expect(endedError).toBeInstanceOf(UpstreamUnavailableError);
    expect(endedError.message).toContain('finishReason');

    upstream.route('POST', path, { chunks: [first], destroyAfterChunks: true });
    const dropped = await adapter().chatStream?.(request(), call());
    if (!dropped) throw new Error('chatStream missing');
    expect(await caught(readAll(dropped.body))).toBeInstanceOf(UpstreamUnavailableError);
  });

  it('times out a stream that goes silent (idle timeout)', async () => {
    const first = `${load('stream-text.sse').split('\r\n\r\n')[0]}\r\n\r\n`;
    upstream.route('POST', path, (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(first);
    });
    const stalling = createGeminiAdapter({ dispatcher, timeouts: { idleMs: 300 } });
    const stream = await stalling.chatStream?.(request(), call());
    if (!stream) throw new Error('chatStream missing');
    expect(await caught(readAll(stream.body))).toBeInstanceOf(TimeoutError);
  });

  it('cancels the upstream request when the caller aborts', async () => {
    const first = `${load('stream-text.sse').split('\r\n\r\n')[0]}\r\n\r\n`;
    upstream.route('POST', path, (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(first);
    });
    const controller = new AbortController();
    const stream = await adapter().chatStream?.(request(), { ...call(), signal: controller.signal });
    if (!stream) throw new Error('chatStream missing');
    const iterator = stream.body[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    controller.abort();
    // Chunks already translated from the first event may still come out; then the abort surfaces.
    const drain = async () => {
      for (;;) if ((await iterator.next()).done) return;
    };
    expect(await caught(drain())).toBeInstanceOf(AbortedError);
    await expect.poll(() => upstream.aborted.length).toBe(1);
  });

  it('rejects chatStream itself for an error before streaming (JSON body with an SSE content type)', async () => {
    upstream.route('POST', '/v1beta/models/custom-gemini-2.0-flash:streamGenerateContent', {
      status: 404,
      headers: { 'content-type': 'text/event-stream' },
      body: load('error-not-found.json'),
    });
    const error = await caught(adapter().chatStream?.(request({ model: 'custom-gemini-2.0-flash' }), call()));
    expect(error).toBeInstanceOf(ModelNotFoundError);
    expect(error.field).toBe('model');
  });
});

describe('gemini countTokens', () => {
  it('counts the whole generateContent request (system instruction and tools included)', async () => {
    upstream.route('POST', '/v1beta/models/gemini-2.5-flash:countTokens', {
      json: { totalTokens: 31, promptTokensDetails: [{ modality: 'TEXT', tokenCount: 31 }] },
    });
    const counted = await adapter().countTokens?.(
      {
        model: 'gemini-2.5-flash',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Weather in Paris?' },
        ],
        tools: [weatherTool],
      },
      call(),
    );
    expect(counted).toBe(31);
    expect(sent().json()).toEqual({
      generateContentRequest: {
        model: 'models/gemini-2.5-flash',
        systemInstruction: { parts: [{ text: 'Be brief.' }] },
        contents: [{ role: 'user', parts: [{ text: 'Weather in Paris?' }] }],
        tools: [
          {
            functionDeclarations: [
              {
                name: 'get_weather',
                description: 'Current weather for a city',
                parametersJsonSchema: weatherTool.function.parameters,
              },
            ],
          },
        ],
      },
    });
  });

  it('turns an answer without totalTokens into a MalformedResponseError', async () => {
    upstream.route('POST', '/v1beta/models/gemini-2.5-flash:countTokens', { json: {} });
    const error = await caught(
      adapter().countTokens?.(
        { model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }] },
        call(),
      ),
    );
    expect(error).toBeInstanceOf(MalformedResponseError);
  });
});

describe('gemini embeddings', () => {
  it('sends one batchEmbedContents call with a request per input', async () => {
    upstream.route('POST', '/v1beta/models/gemini-embedding-001:batchEmbedContents', {
      json: JSON.parse(load('batch-embed.json')),
    });
    const result = await adapter().embed?.(
      { model: 'gemini-embedding-001', input: ['a', 'b'], dimensions: 3 },
      call(),
    );
    const request = sent();
    expect(request.url).toBe('/v1beta/models/gemini-embedding-001:batchEmbedContents');
    expect(request.json()).toEqual({
      requests: [
        {
          model: 'models/gemini-embedding-001',
          content: { parts: [{ text: 'a' }] },
          outputDimensionality: 3,
        },
        {
          model: 'models/gemini-embedding-001',
          content: { parts: [{ text: 'b' }] },
          outputDimensionality: 3,
        },
      ],
    });
    expect(result).toEqual({
      object: 'list',
      data: [
        { object: 'embedding', index: 0, embedding: [0.01, 0.02, -0.03] },
        { object: 'embedding', index: 1, embedding: [0.04, -0.05, 0.06] },
      ],
      model: 'gemini-embedding-001',
      usage: { prompt_tokens: 0, total_tokens: 0 },
    });
  });

  it('splits more than 100 inputs into consecutive batches and keeps the order', async () => {
    upstream.route('POST', '/v1beta/models/gemini-embedding-001:batchEmbedContents', (request, response) => {
      const body = request.json() as { requests: { content: { parts: { text: string }[] } }[] };
      const embeddings = body.requests.map((item) => ({ values: [Number(item.content.parts[0]?.text)] }));
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ embeddings }));
    });
    const input = Array.from({ length: 250 }, (_, index) => String(index));
    const result = await adapter().embed?.({ model: 'gemini-embedding-001', input }, call());
    expect(
      upstream.requests.map((request) => (request.json() as { requests: unknown[] }).requests.length),
    ).toEqual([100, 100, 50]);
    expect(result?.data.map((item) => item.embedding)).toEqual(input.map((text) => [Number(text)]));
    expect(result?.data.map((item) => item.index)).toEqual(input.map((_, index) => index));
  });

  it('encodes base64 as little-endian float32 and refuses token-id input', async () => {
    upstream.route('POST', '/v1beta/models/text-embedding-004:batchEmbedContents', {
      json: { embeddings: [{ values: [1, -2, 0.5] }] },
    });
    const result = await adapter().embed?.(
      { model: 'text-embedding-004', input: 'hello', encoding_format: 'base64' },
      call(),
    );
    const embedding = result?.data[0]?.embedding;
    expect(typeof embedding).toBe('string');
    const bytes = Buffer.from(embedding as string, 'base64');
    expect(Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, 3))).toEqual([1, -2, 0.5]);

    const error = await caught(adapter().embed?.({ model: 'text-embedding-004', input: [1, 2, 3] }, call()));
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error.field).toBe('input');
  });
});

describe('gemini speech', () => {
  const path = '/v1beta/models/gemini-3.8-flash-tts:generateContent';

  it('asks a TTS model for audio in the chosen voice and wraps the PCM as WAV', async () => {
    upstream.route('POST', path, { json: JSON.parse(load('speech.json')) });
    const audio = await adapter().speak?.(
      {
        model: 'gemini-3.8-flash-tts',
        input: 'Have a wonderful day!',
        voice: 'kore',
        instructions: 'Say cheerfully',
      },
      call(),
    );
    expect(sent().json()).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'Say cheerfully: Have a wonderful day!' }] }],
      generationConfig: {
        responseModalities: ['AUDIO'],
        speechConfig: { voiceConfig: { prebuiltVoiceConfig: { voiceName: 'Kore' } } },
      },
    });
    expect(audio?.contentType).toBe('audio/wav');
    const chunks: Uint8Array[] = [];
    for await (const chunk of audio?.body ?? []) chunks.push(chunk);
    const wav = Buffer.concat(chunks);
    const pcm = Buffer.from([0x00, 0x00, 0xff, 0x7f, 0x01, 0x80, 0x10, 0x00]);
    expect(wav.length).toBe(44 + pcm.length);
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.readUInt32LE(4)).toBe(36 + pcm.length);
    expect(wav.toString('ascii', 8, 16)).toBe('WAVEfmt ');
    expect([wav.readUInt16LE(20), wav.readUInt16LE(22), wav.readUInt32LE(24), wav.readUInt32LE(28)]).toEqual([
      1, 1, 24_000, 48_000,
    ]);
    expect([wav.readUInt16LE(32), wav.readUInt16LE(34)]).toEqual([2, 16]);
    expect(wav.toString('ascii', 36, 40)).toBe('data');
    expect(wav.readUInt32LE(40)).toBe(pcm.length);
    expect(wav.subarray(44)).toEqual(pcm);
  });

  it('returns the raw PCM for response_format pcm and refuses a voice Gemini does not have', async () => {
    upstream.route('POST', path, { json: JSON.parse(load('speech.json')) });
    const audio = await adapter().speak?.(
      { model: 'gemini-3.8-flash-tts', input: 'Hi', voice: 'Puck', response_format: 'pcm' },
      call(),
    );
    expect(audio?.contentType).toBe('audio/pcm');
    const chunks: Uint8Array[] = [];
    for await (const chunk of audio?.body ?? []) chunks.push(chunk);
    expect(Buffer.concat(chunks)).toEqual(Buffer.from([0x00, 0x00, 0xff, 0x7f, 0x01, 0x80, 0x10, 0x00]));

    const error = await caught(
      adapter().speak?.({ model: 'gemini-3.8-flash-tts', input: 'Hi', voice: 'alloy' }, call()),
    );
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error.field).toBe('voice');
    expect(upstream.requests).toHaveLength(1);
  });
});

describe('gemini validateCredentials', () => {
  it('blames the api_key field without calling the provider when no key is set', async () => {
    const error = await caught(
      adapter().validateCredentials({
        credentials: { api_key: '  ', base_url: upstream.url },
        signal: new AbortController().signal,
      }),
    );
    expect(error).toBeInstanceOf(InvalidCredentialsError);
    expect(error.field).toBe('api_key');
    expect(upstream.requests).toHaveLength(0);
  });

  it('lists chat, embedding and TTS models with GET /v1beta/models', async () => {
    upstream.route('GET', '/v1beta/models', { json: JSON.parse(load('models.json')) });
    const result = await adapter().validateCredentials(call());
    const request = sent();
    expect(request.method).toBe('GET');
    expect(request.url).toBe('/v1beta/models?pageSize=1000');
    expect(result.models).toEqual([
      {
        id: 'gemini-2.5-flash',
        type: 'llm',
        label: 'Gemini 2.5 Flash',
        contextSize: 1_048_576,
        maxOutputTokens: 65_536,
        features: [
          'tool-call',
          'vision',
          'structured-output',
          'streaming',
          'reasoning',
          'audio-input',
          'document',
        ],
        pricing: { inputPerMillion: 0.3, outputPerMillion: 2.5 },
      },
      {
        id: 'gemini-embedding-001',
        type: 'text-embedding',
        label: 'Gemini Embedding 001',
        contextSize: 2048,
        dimensions: 3072,
        pricing: { inputPerMillion: 0.15 },
      },
      {
        id: 'gemini-3.8-flash-tts',
        type: 'tts',
        label: 'Gemini 3.8 Flash TTS',
        contextSize: 8192,
        voices: expect.arrayContaining(['Kore', 'Puck']),
      },
    ]);
  });

  it('checks a custom model with GET /v1beta/models/{id}', async () => {
    const models = JSON.parse(load('models.json')) as { models: unknown[] };
    upstream.route('GET', '/v1beta/models/gemini-2.5-flash', { json: models.models[0] });
    const result = await adapter().validateCredentials(call(), { model: 'gemini-2.5-flash', type: 'llm' });
    expect(sent().url).toBe('/v1beta/models/gemini-2.5-flash');
    expect(result.models?.map((model) => model.id)).toEqual(['gemini-2.5-flash']);
  });

  it('reads an invalid key (400 API_KEY_INVALID) as invalid credentials and a refused connection as the base URL', async () => {
    upstream.route('GET', '/v1beta/models', {
      status: 400,
      json: JSON.parse(load('error-api-key-invalid.json')),
    });
    const invalid = await caught(adapter().validateCredentials(call()));
    expect(invalid).toBeInstanceOf(InvalidCredentialsError);
    expect(invalid.field).toBe('api_key');
    expect(invalid.status).toBe(400);

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

describe('gemini errors', () => {
  const chat = () =>
    adapter().chat?.({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }] }, call());
  const cases: [
    string,
    number,
    Record<string, string>,
    string,
    new (...args: never[]) => ProviderError,
    Record<string, unknown>,
  ][] = [
    ['invalid argument', 400, {}, 'error-invalid-argument.json', BadRequestError, { field: 'messages' }],
    ['invalid key', 400, {}, 'error-api-key-invalid.json', InvalidCredentialsError, { field: 'api_key' }],
    ['missing key', 403, {}, 'error-unregistered.json', InvalidCredentialsError, { field: 'api_key' }],
    ['service disabled', 403, {}, 'error-service-disabled.json', PermissionDeniedError, {}],
    ['not found', 404, {}, 'error-not-found.json', ModelNotFoundError, { field: 'model' }],
    [
      'per-minute quota with retryDelay',
      429,
      {},
      'error-resource-exhausted.json',
      RateLimitedError,
      { retryAfterMs: 45_500 },
    ],
    [
      'rate limited with Retry-After',
      429,
      { 'retry-after': '12' },
      'error-rate-limited.json',
      RateLimitedError,
      { retryAfterMs: 12_000 },
    ],
    [
      'rate limited without a wait',
      429,
      {},
      'error-rate-limited.json',
      RateLimitedError,
      { retryAfterMs: undefined },
    ],
    ['internal', 500, {}, 'error-internal.json', UpstreamUnavailableError, {}],
    ['overloaded', 503, {}, 'error-unavailable.json', UpstreamUnavailableError, {}],
  ];
  it.each(cases)(
    '%s (%i) maps to its error class',
    async (_name, status, headers, file, errorClass, fields) => {
      upstream.route('POST', '/v1beta/models/gemini-2.5-flash:generateContent', {
        status,
        headers: { 'content-type': 'application/json; charset=UTF-8', ...headers },
        body: load(file),
      });
      const error = await caught(chat());
      expect(error).toBeInstanceOf(errorClass);
      expect(error.status).toBe(status);
      expect(error).toMatchObject(fields);
      expect(error.message.startsWith('Gemini: ')).toBe(true);
    },
  );

  it('maps a 502 HTML page from a proxy to upstream_unavailable', async () => {
    upstream.route('POST', '/v1beta/models/gemini-2.5-flash:generateContent', {
      status: 502,
      body: '<html>Bad Gateway</html>',
    });
    expect(await caught(chat())).toBeInstanceOf(UpstreamUnavailableError);
  });

  it('removes the key when an error message echoes it', async () => {
    upstream.route('POST', '/v1beta/models/gemini-2.5-flash:generateContent', {
      status: 400,
      json: { error: { code: 400, message: `API key ${API_KEY} not valid.`, status: 'INVALID_ARGUMENT' } },
    });
    const error = await caught(chat());
    expect(error.upstreamMessage).toBe('API key [redacted] not valid.');
  });

  it('times out when Gemini never answers', async () => {
    upstream.route('POST', '/v1beta/models/gemini-2.5-flash:generateContent', { hang: true });
    const slow = createGeminiAdapter({ dispatcher, timeouts: { firstByteMs: 200 } });
    const error = await caught(
      slow.chat?.({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }] }, call()),
    );
    expect(error).toBeInstanceOf(TimeoutError);
  });
});
