import { type FakeUpstream, fixture, startConnectProxy, startFakeUpstream } from '@switchboard/test-utils';
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AbortedError,
  BadRequestError,
  type CallContext,
  InvalidCredentialsError,
  MalformedResponseError,
  ModelNotFoundError,
  PermissionDeniedError,
  type ProviderAdapter,
  QuotaExceededError,
  RateLimitedError,
  TimeoutError,
  UpstreamUnavailableError,
} from '@switchboard/provider-spec';
import {
  describeErrorMatrix,
  type ErrorMatrixCase,
  type ErrorMatrixOperation,
} from '../../test/provider-test-kit.ts';
import { createJinaAdapter } from './index.ts';

const API_KEY = 'jina_test-key-0001';
let upstream: FakeUpstream;
let dispatcher: Agent;
let adapter: ProviderAdapter;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  dispatcher = new Agent();
  // A short first-byte timeout so the hanging upstream below times out quickly.
  adapter = createJinaAdapter({ dispatcher, timeouts: { firstByteMs: 150 } });
});
afterAll(async () => {
  await dispatcher.close();
  await upstream.close();
});
beforeEach(() => upstream.reset());

const context = (baseUrl = `${upstream.url}/v1`): CallContext => ({
  credentials: { api_key: API_KEY, base_url: baseUrl },
  signal: new AbortController().signal,
});
const json = (name: string) => JSON.parse(fixture(import.meta.url, name)) as unknown;
const expectedHeaders = expect.objectContaining({
  authorization: `Bearer ${API_KEY}`,
  'content-type': 'application/json',
  accept: 'application/json',
});

describe('jina embeddings', () => {
  it('sends the OpenAI-like body with task and returns canonical embeddings', async () => {
    upstream.route('POST', '/v1/embeddings', { json: json('embed-response.json') });
    const result = await adapter.embed!(
      {
        model: 'jina-embeddings-v3',
        input: ['first passage', 'second passage'],
        dimensions: 256,
        task: 'retrieval.passage',
      },
      context(),
    );
    const [request] = upstream.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/v1/embeddings');
    expect(request?.headers).toEqual(expectedHeaders);
    expect(request?.json()).toEqual({
      model: 'jina-embeddings-v3',
      input: ['first passage', 'second passage'],
      task: 'retrieval.passage',
      dimensions: 256,
    });
    expect(result).toEqual({
      object: 'list',
      data: [
        { object: 'embedding', index: 0, embedding: [0.021, -0.044, 0.103] },
        { object: 'embedding', index: 1, embedding: [0.017, 0.002, -0.091] },
      ],
      model: 'jina-embeddings-v3',
      usage: { prompt_tokens: 8, total_tokens: 8 },
    });
  });

  it('asks Jina for base64 when the caller does', async () => {
    upstream.route('POST', '/v1/embeddings', { json: json('embed-response-base64.json') });
    const result = await adapter.embed!(
      { model: 'jina-embeddings-v3', input: 'hello', encoding_format: 'base64' },
      context(),
    );
    expect(upstream.requests[0]?.json()).toEqual({
      model: 'jina-embeddings-v3',
      input: ['hello'],
      embedding_type: 'base64',
    });
    expect(result.data).toEqual([{ object: 'embedding', index: 0, embedding: 'PKwIPQ==' }]);
    expect(result.usage).toEqual({ prompt_tokens: 4, total_tokens: 4 });
  });

  it('refuses token-array input without calling Jina', async () => {
    await expect(
      adapter.embed!({ model: 'jina-embeddings-v3', input: [[1, 2]] }, context()),
    ).rejects.toMatchObject({
      constructor: BadRequestError,
      field: 'input',
    });
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('jina rerank', () => {
  const request = {
    model: 'jina-reranker-v2-base-multilingual',
    query: 'capital of France?',
    documents: ['Berlin is in Germany.', { text: 'Paris is the capital of France.' }],
    top_n: 2,
  };

  it('returns documents when asked', async () => {
    upstream.route('POST', '/v1/rerank', { json: json('rerank-response.json') });
    const result = await adapter.rerank!({ ...request, return_documents: true }, context());
    const [sent] = upstream.requests;
    expect(sent?.path).toBe('/v1/rerank');
    expect(sent?.headers).toEqual(expectedHeaders);
    expect(sent?.json()).toEqual({
      model: 'jina-reranker-v2-base-multilingual',
      query: 'capital of France?',
      documents: ['Berlin is in Germany.', { text: 'Paris is the capital of France.' }],
      top_n: 2,
      return_documents: true,
    });
    expect(result).toEqual({
      model: 'jina-reranker-v2-base-multilingual',
      results: [
        { index: 1, relevance_score: 0.912, document: { text: 'Paris is the capital of France.' } },
        { index: 0, relevance_score: 0.031, document: { text: 'Berlin is in Germany.' } },
      ],
      usage: { total_tokens: 42 },
    });
  });

  it('asks for no documents by default', async () => {
    upstream.route('POST', '/v1/rerank', {
      json: {
        model: 'jina-reranker-v2-base-multilingual',
        usage: { total_tokens: 42 },
        results: [
          { index: 1, relevance_score: 0.912 },
          { index: 0, relevance_score: 0.031 },
        ],
      },
    });
    const result = await adapter.rerank!(request, context());
    expect(upstream.requests[0]?.json()).toMatchObject({ return_documents: false });
    expect(result.results).toEqual([
      { index: 1, relevance_score: 0.912 },
      { index: 0, relevance_score: 0.031 },
    ]);
  });
});

describe('jina credential validation', () => {
  it('embeds one word with the default model', async () => {
    upstream.route('POST', '/v1/embeddings', { json: json('embed-response.json') });
    await expect(adapter.validateCredentials(context())).resolves.toEqual({});
    const [request] = upstream.requests;
    expect(request?.path).toBe('/v1/embeddings');
    expect(request?.headers).toEqual(expectedHeaders);
    expect(request?.json()).toEqual({ model: 'jina-embeddings-v3', input: ['ping'] });
  });

  it('checks a custom rerank model by reranking one document', async () => {
    upstream.route('POST', '/v1/rerank', { json: json('rerank-response.json') });
    await adapter.validateCredentials(context(), { model: 'jina-reranker-m0', type: 'rerank' });
    expect(upstream.requests[0]?.json()).toEqual({
      model: 'jina-reranker-m0',
      query: 'ping',
      documents: ['ping'],
      top_n: 1,
      return_documents: false,
    });
  });

  it('blames the model for an unknown custom model, the key for a bad key, the base URL for a wrong path', async () => {
    upstream.route('POST', '/v1/embeddings', {
      status: 400,
      json: { detail: 'Model jina-nope not found', code: 'INPUT_MODEL_NOT_FOUND', request_id: 'r1' },
    });
    await expect(
      adapter.validateCredentials(context(), { model: 'jina-nope', type: 'text-embedding' }),
    ).rejects.toMatchObject({
      constructor: ModelNotFoundError,
      field: 'model',
    });
    upstream.route('POST', '/v1/embeddings', {
      status: 401,
      json: { detail: 'Invalid API key', code: 'AUTH_INVALID_API_KEY' },
    });
    await expect(adapter.validateCredentials(context())).rejects.toMatchObject({
      constructor: InvalidCredentialsError,
      field: 'api_key',
    });
    await expect(adapter.validateCredentials(context(`${upstream.url}/wrong`))).rejects.toMatchObject({
      constructor: ModelNotFoundError,
      field: 'base_url',
    });
  });
});

// Each operation, its route, and how to call it.
const operations: ErrorMatrixOperation[] = [
  ['embed', 'POST', '/v1/embeddings', (c) => adapter.embed!({ model: 'jina-embeddings-v3', input: 'hi' }, c)],
  [
    'rerank',
    'POST',
    '/v1/rerank',
    (c) => adapter.rerank!({ model: 'jina-reranker-v2-base-multilingual', query: 'q', documents: ['a'] }, c),
  ],
  ['validateCredentials', 'POST', '/v1/embeddings', (c) => adapter.validateCredentials(c)],
];

// Error bodies in Jina's documented shape; each echoes the key to prove it is removed.
const cases: ErrorMatrixCase[] = [
  [
    '400 unknown model',
    {
      status: 400,
      json: { detail: `Model not found (${API_KEY})`, code: 'INPUT_MODEL_NOT_FOUND', request_id: 'r1' },
    },
    ModelNotFoundError,
    { status: 400, field: 'model' },
  ],
  ['400', { status: 400, json: { detail: `Input is empty (${API_KEY})` } }, BadRequestError, { status: 400 }],
  [
    '422 with a field',
    {
      status: 422,
      json: {
        detail: 'Validation failed',
        errors: [{ field: 'input', message: 'Field required', type: 'missing', input: null }],
      },
    },
    BadRequestError,
    { status: 422, field: 'input' },
  ],
  [
    '401',
    {
      status: 401,
      json: { detail: `Invalid API key: ${API_KEY}`, code: 'AUTH_INVALID_API_KEY', request_id: 'r2' },
    },
    InvalidCredentialsError,
    { status: 401, field: 'api_key' },
  ],
  [
    '403 without balance',
    {
      status: 403,
      json: { detail: `Insufficient balance for ${API_KEY}`, code: 'AUTHZ_INSUFFICIENT_BALANCE' },
    },
    QuotaExceededError,
    { status: 403 },
  ],
  ['403', { status: 403, json: { detail: 'Forbidden' } }, PermissionDeniedError, { status: 403 }],
  ['404', { status: 404, json: { detail: 'Not Found' } }, ModelNotFoundError, { status: 404 }],
  [
    '429 with Retry-After',
    {
      status: 429,
      headers: { 'retry-after': '3' },
      json: { detail: 'Too many requests', code: 'RATE_REQUEST_LIMIT_EXCEEDED' },
    },
    RateLimitedError,
    { status: 429, retryAfterMs: 3000 },
  ],
  [
    '429 without Retry-After',
    { status: 429, json: { detail: `Token limit exceeded ${API_KEY}`, code: 'RATE_TOKEN_LIMIT_EXCEEDED' } },
    RateLimitedError,
    { status: 429, retryAfterMs: undefined },
  ],
  [
    '500',
    { status: 500, json: { detail: `Internal error ${API_KEY}`, code: 'INTERNAL_ERROR' } },
    UpstreamUnavailableError,
    { status: 500 },
  ],
  [
    '503',
    { status: 503, json: { detail: 'Service unavailable', code: 'SERVICE_UNAVAILABLE' } },
    UpstreamUnavailableError,
    { status: 503 },
  ],
  [
    '502 with an HTML body',
    { status: 502, body: `<html>Bad gateway ${API_KEY}</html>` },
    UpstreamUnavailableError,
    { status: 502 },
  ],
  ['a hanging upstream', { hang: true }, TimeoutError, {}],
  [
    'a 200 body that is not JSON',
    { status: 200, body: `<html>maintenance ${API_KEY}</html>` },
    MalformedResponseError,
    {},
  ],
];

describeErrorMatrix({
  provider: 'jina',
  secret: API_KEY,
  upstream: () => upstream,
  context,
  refusedBaseUrl: (port) => `http://127.0.0.1:${port}/v1`,
  operations,
  cases,
});

describe('jina proxy and abort', () => {
  it('sends calls through the credential proxy_url', async () => {
    const proxy = await startConnectProxy();
    try {
      upstream.route('POST', '/v1/embeddings', { json: json('embed-response.json') });
      // No injected dispatcher: the adapter picks the proxy from the credential.
      await createJinaAdapter().embed!(
        { model: 'jina-embeddings-v3', input: 'hello' },
        {
          credentials: { api_key: API_KEY, base_url: `${upstream.url}/v1`, proxy_url: proxy.url },
          signal: new AbortController().signal,
        },
      );
      expect(proxy.tunnels).toEqual([upstream.url.replace('http://', '')]);
      expect(upstream.requests[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    } finally {
      await proxy.close();
    }
  });

  it('cancels the upstream call when the caller aborts', async () => {
    upstream.route('POST', '/v1/rerank', { hang: true });
    const controller = new AbortController();
    const call = adapter.rerank!(
      { model: 'jina-reranker-v2-base-multilingual', query: 'q', documents: ['a'] },
      { ...context(), signal: controller.signal },
    );
    await expect.poll(() => upstream.requests.length).toBe(1);
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(AbortedError);
    await expect.poll(() => upstream.aborted.length).toBe(1);
  });
});
