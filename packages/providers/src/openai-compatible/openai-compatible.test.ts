import { type FakeUpstream, fixture, splitBytes, startFakeUpstream } from '@switchboard/test-utils';
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BadRequestError, ModelNotFoundError } from '@switchboard/provider-spec';
import { callContext, collect, defineErrorTests, failure } from '../../test/provider-test-kit.ts';
import { createOpenAICompatibleAdapter } from './index.ts';

const KEY = 'vllm-test-key-0001';
const load = (name: string) => JSON.parse(fixture(import.meta.url, name)) as Record<string, unknown>;
let upstream: FakeUpstream;
let dispatcher: Agent;
const adapter = () => createOpenAICompatibleAdapter({ dispatcher });
const credentials = (extra: Record<string, string> = {}) => ({
  base_url: `${upstream.url}/v1`,
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

describe('OpenAI-compatible discovery', () => {
  it('reads vLLM context sizes and guesses types from names', async () => {
    upstream.route('GET', '/v1/models', { json: load('vllm-models.json') });
    const models = await adapter().discoverModels!(callContext(credentials()));
    expect(upstream.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(models).toEqual([
      { id: 'Qwen/Qwen2.5-7B-Instruct', type: 'llm', contextSize: 32768, features: ['streaming'] },
      { id: 'sql-lora', type: 'llm', features: ['streaming'] },
      { id: 'BAAI/bge-reranker-v2-m3', type: 'rerank', contextSize: 8192 },
    ]);
  });

  it('reads an LM Studio list without a key, with types and context from its REST API', async () => {
    upstream.route('GET', '/v1/models', { json: load('lmstudio-models.json') });
    upstream.route('GET', '/api/v0/models', { json: load('lmstudio-api-v0-models.json') });
    const models = await adapter().discoverModels!(callContext({ base_url: `${upstream.url}/v1` }));
    expect(upstream.requests.map((request) => request.url)).toEqual(['/v1/models', '/api/v0/models']);
    expect(upstream.requests[0]!.headers.authorization).toBeUndefined();
    expect(models).toEqual([
      { id: 'qwen2.5-7b-instruct', type: 'llm', contextSize: 32768, features: ['streaming'] },
      { id: 'qwen2-vl-7b-instruct', type: 'llm', contextSize: 32768, features: ['streaming', 'vision'] },
      { id: 'text-embedding-nomic-embed-text-v1.5', type: 'text-embedding', contextSize: 2048 },
    ]);
  });

  it('falls back to names when an LM Studio-like server has no REST API', async () => {
    upstream.route('GET', '/v1/models', { json: load('lmstudio-models.json') });
    const models = await adapter().discoverModels!(callContext({ base_url: `${upstream.url}/v1` }));
    expect(models).toEqual([
      { id: 'qwen2.5-7b-instruct', type: 'llm', features: ['streaming'] },
      { id: 'qwen2-vl-7b-instruct', type: 'llm', features: ['streaming'] },
      { id: 'text-embedding-nomic-embed-text-v1.5', type: 'text-embedding' },
    ]);
  });

  it("reads llama.cpp's hybrid list and its training context", async () => {
    upstream.route('GET', '/v1/models', { json: load('llamacpp-models.json') });
    expect(await adapter().discoverModels!(callContext(credentials()))).toEqual([
      { id: 'gemma-3-4b-it-Q4_K_M.gguf', type: 'llm', contextSize: 131072, features: ['streaming'] },
    ]);
  });
});

describe('OpenAI-compatible validation', () => {
  it('needs a base URL', async () => {
    const error = await failure(adapter().validateCredentials(callContext({ api_key: KEY })));
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error.field).toBe('base_url');
  });

  it('accepts a model the server lists without calling it', async () => {
    upstream.route('GET', '/v1/models', { json: load('vllm-models.json') });
    const result = await adapter().validateCredentials(callContext(credentials()), {
      model: 'Qwen/Qwen2.5-7B-Instruct',
      type: 'llm',
    });
    expect(result.models).toHaveLength(3);
    expect(upstream.requests).toHaveLength(1);
  });

  it('probes a model the list does not show, and blames model on 404', async () => {
    upstream.route('GET', '/v1/models', { json: load('vllm-models.json') });
    upstream.route('POST', '/v1/embeddings', { status: 404, json: load('errors.json')['404'] });
    const error = await failure(
      adapter().validateCredentials(callContext(credentials()), { model: 'qwen-9', type: 'text-embedding' }),
    );
    expect(error).toBeInstanceOf(ModelNotFoundError);
    expect(error.field).toBe('model');
    expect(upstream.requests[1]!.json()).toEqual({ model: 'qwen-9', input: 'ping' });
  });

  it('proves a model by calling it when the server has no /models', async () => {
    upstream.route('POST', '/v1/rerank', { json: load('vllm-rerank.json') });
    const result = await adapter().validateCredentials(callContext(credentials()), {
      model: 'BAAI/bge-reranker-v2-m3',
      type: 'rerank',
    });
    expect(result).toEqual({});
    expect(upstream.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      'GET /v1/models',
      'POST /v1/rerank',
    ]);
    expect(upstream.requests[1]!.json()).toEqual({
      model: 'BAAI/bge-reranker-v2-m3',
      query: 'ping',
      documents: ['ping'],
      top_n: 1,
    });
  });

  it('blames base_url when there is no API at the URL and no model to try', async () => {
    const error = await failure(adapter().validateCredentials(callContext(credentials())));
    expect(error).toBeInstanceOf(ModelNotFoundError);
    expect(error.field).toBe('base_url');
  });
});

describe('OpenAI-compatible calls', () => {
  it('streams vLLM tool-call deltas with a multi-byte argument split across chunks', async () => {
    const sse = fixture(import.meta.url, 'vllm-chat.sse');
    upstream.route('POST', '/v1/chat/completions', { chunks: splitBytes(sse, 3) });
    const request = {
      model: 'Qwen/Qwen2.5-7B-Instruct',
      messages: [{ role: 'user' as const, content: 'Weather in Kraków?' }],
      tools: [
        { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object' } } },
      ],
      stream_options: { include_usage: true },
    };
    const stream = await adapter().chatStream!(request, callContext(credentials()));
    expect((await collect(stream.body)).toString('utf8')).toBe(sse);
    expect(upstream.requests[0]!.json()).toEqual({ ...request, stream: true });
    expect(stream.usage()).toEqual({ prompt_tokens: 180, completion_tokens: 21, total_tokens: 201 });
  });

  it('never passes on a stream event that is not JSON: a cut object or garbage ends the stream as malformed', async () => {
    const good =
      'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n';
    for (const garbage of ['data: {"choices":[{"delta":\n\n', 'data: ]]]\n\n']) {
      upstream.reset();
      upstream.route('POST', '/v1/chat/completions', {
        chunks: [good, garbage, 'data: [DONE]\n\n'],
        headers: { 'content-type': 'text/event-stream' },
      });
      const stream = await adapter().chatStream!(
        { model: 'Qwen/Qwen2.5-7B-Instruct', messages: [{ role: 'user', content: 'Hi' }] },
        callContext(credentials()),
      );
      const sent: string[] = [];
      const failed = await (async () => {
        for await (const chunk of stream.body) sent.push(Buffer.from(chunk).toString('utf8'));
      })().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failed).toMatchObject({ name: 'MalformedResponseError' });
      expect(sent.join('')).toBe(good);
    }
  });

  it('chats without streaming and returns the server bytes as they are', async () => {
    const body =
      '{"id":"chatcmpl-b7","object":"chat.completion","created":1767225600,"model":"qwen2.5-7b-instruct","choices":[{"index":0,"logprobs":null,"finish_reason":"stop","message":{"role":"assistant","content":"Hello!"}}],"usage":{"prompt_tokens":10,"completion_tokens":3,"total_tokens":13},"stats":{},"system_fingerprint":"qwen2.5-7b-instruct"}';
    upstream.route('POST', '/v1/chat/completions', { headers: { 'content-type': 'application/json' }, body });
    const request = {
      model: 'qwen2.5-7b-instruct',
      messages: [{ role: 'user' as const, content: 'Hi' }],
      max_tokens: 20,
    };
    const result = await adapter().chat!(request, callContext({ base_url: `${upstream.url}/v1` }));
    expect(upstream.requests[0]!.json()).toEqual(request);
    expect(upstream.requests[0]!.headers.authorization).toBeUndefined();
    expect(Buffer.from(result.raw!).toString('utf8')).toBe(body);
    expect(result.completion).toEqual(JSON.parse(body));
    expect(result.usage).toEqual({ prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 });
  });

  it('transcribes and speaks', async () => {
    upstream.route('POST', '/v1/audio/transcriptions', { json: { text: 'Bonjour' } });
    const heard = await adapter().transcribe!(
      {
        model: 'whisper-large-v3',
        file: { data: Buffer.from('RIFF'), filename: 'a.wav', contentType: 'audio/wav' },
      },
      callContext(credentials()),
    );
    expect(heard).toEqual({ text: 'Bonjour' });
    expect(upstream.requests[0]!.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    upstream.route('POST', '/v1/audio/speech', { body: Buffer.from([1, 2, 3]) });
    const audio = await adapter().speak!(
      { model: 'kokoro', input: 'Hi', voice: 'af_sky', response_format: 'wav' },
      callContext(credentials()),
    );
    expect(audio.contentType).toBe('audio/wav');
    expect([...(await collect(audio.body))]).toEqual([1, 2, 3]);
    expect(upstream.requests[1]!.json()).toEqual({
      model: 'kokoro',
      input: 'Hi',
      voice: 'af_sky',
      response_format: 'wav',
    });
  });

  it('reranks at {base_url}/rerank in the Jina/Cohere shape', async () => {
    upstream.route('POST', '/v1/rerank', { json: load('vllm-rerank.json') });
    const result = await adapter().rerank!(
      {
        model: 'BAAI/bge-reranker-v2-m3',
        query: 'capital of France',
        documents: ['Brasilia is the capital of Brazil.', 'Paris is the capital of France.'],
      },
      callContext(credentials()),
    );
    expect(upstream.requests[0]!.json()).toEqual({
      model: 'BAAI/bge-reranker-v2-m3',
      query: 'capital of France',
      documents: ['Brasilia is the capital of Brazil.', 'Paris is the capital of France.'],
    });
    expect(result).toEqual({
      id: 'rerank-3c9d',
      model: 'BAAI/bge-reranker-v2-m3',
      results: [
        { index: 1, relevance_score: 0.9985, document: { text: 'Paris is the capital of France.' } },
        { index: 0, relevance_score: 0.0006, document: { text: 'Brasilia is the capital of Brazil.' } },
      ],
      usage: { total_tokens: 38, prompt_tokens: 38 },
    });
  });

  it('sorts and trims an old llama.cpp rerank answer given in input order', async () => {
    upstream.route('POST', '/v1/rerank', { json: load('llamacpp-rerank-old.json') });
    const result = await adapter().rerank!(
      { model: 'bge-reranker', query: 'q', documents: ['a', 'b', 'c'], top_n: 2, return_documents: false },
      callContext(credentials()),
    );
    expect(result).toEqual({
      model: 'bge-reranker-v2-m3-Q8_0.gguf',
      results: [
        { index: 1, relevance_score: 5.02 },
        { index: 2, relevance_score: -2.7 },
      ],
      usage: { total_tokens: 0, prompt_tokens: 0 },
    });
  });

  it('embeds with base64 encoding passed through', async () => {
    const answer = {
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: 'AACAPwAAAEA=' }],
      model: 'nomic-embed-text',
      usage: { prompt_tokens: 2, total_tokens: 2 },
    };
    upstream.route('POST', '/v1/embeddings', { json: answer });
    const request = { model: 'nomic-embed-text', input: ['hi'], encoding_format: 'base64' as const };
    expect(await adapter().embed!(request, callContext(credentials()))).toEqual(answer);
    expect(upstream.requests[0]!.json()).toEqual(request);
  });
});

describe('OpenAI-compatible errors', () => {
  defineErrorTests({
    upstream: () => upstream,
    adapter,
    impatientAdapter: () => createOpenAICompatibleAdapter({ dispatcher, timeouts: { firstByteMs: 150 } }),
    credentials: () => credentials(),
    refusedCredentials: (port) => ({ api_key: KEY, base_url: `http://127.0.0.1:${port}/v1` }),
    chatRoute: ['POST', '/v1/chat/completions'],
    bodies: load('errors.json'),
    secret: KEY,
  });
});
