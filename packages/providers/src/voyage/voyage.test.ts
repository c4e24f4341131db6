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
  RateLimitedError,
  TimeoutError,
  UpstreamUnavailableError,
} from '@switchboard/provider-spec';
import {
  describeErrorMatrix,
  type ErrorMatrixCase,
  type ErrorMatrixOperation,
} from '../../test/provider-test-kit.ts';
import { createVoyageAdapter } from './index.ts';

const API_KEY = 'pa-test-voyage-0001';
let upstream: FakeUpstream;
let dispatcher: Agent;
let adapter: ProviderAdapter;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  dispatcher = new Agent();
  // A short first-byte timeout so the hanging upstream below times out quickly.
  adapter = createVoyageAdapter({ dispatcher, timeouts: { firstByteMs: 150 } });
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

describe('voyage embeddings', () => {
  it('sends input_type and dimensions, and returns canonical embeddings', async () => {
    upstream.route('POST', '/v1/embeddings', { json: json('embed-response.json') });
    const result = await adapter.embed!(
      {
        model: 'voyage-3.5',
        input: ['first document', 'second document'],
        input_type: 'document',
        dimensions: 512,
      },
      context(),
    );
    const [request] = upstream.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/v1/embeddings');
    expect(request?.headers).toEqual(expectedHeaders);
    expect(request?.json()).toEqual({
      input: ['first document', 'second document'],
      model: 'voyage-3.5',
      input_type: 'document',
      output_dimension: 512,
    });
    expect(result).toEqual({
      object: 'list',
      data: [
        { object: 'embedding', index: 0, embedding: [-0.0138, 0.0592, 0.0117] },
        { object: 'embedding', index: 1, embedding: [0.0254, -0.0203, 0.0466] },
      ],
      model: 'voyage-3.5',
      usage: { prompt_tokens: 10, total_tokens: 10 },
    });
  });

  it('sends a single string as a list and asks for base64 when the caller does', async () => {
    upstream.route('POST', '/v1/embeddings', {
      json: {
        object: 'list',
        data: [{ object: 'embedding', embedding: 'PKwIPQ==', index: 0 }],
        model: 'voyage-3.5',
        usage: { total_tokens: 1 },
      },
    });
    const result = await adapter.embed!(
      { model: 'voyage-3.5', input: 'hello', encoding_format: 'base64' },
      context(),
    );
    expect(upstream.requests[0]?.json()).toEqual({
      input: ['hello'],
      model: 'voyage-3.5',
      encoding_format: 'base64',
    });
    expect(result.data).toEqual([{ object: 'embedding', index: 0, embedding: 'PKwIPQ==' }]);
  });

  it('refuses token arrays and unknown input types without calling Voyage', async () => {
    await expect(adapter.embed!({ model: 'voyage-3.5', input: [1, 2] }, context())).rejects.toMatchObject({
      constructor: BadRequestError,
      field: 'input',
    });
    await expect(
      adapter.embed!({ model: 'voyage-3.5', input: 'x', input_type: 'search_query' }, context()),
    ).rejects.toMatchObject({
      constructor: BadRequestError,
      field: 'input_type',
    });
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('voyage rerank', () => {
  it('maps top_n to top_k and data to results', async () => {
    upstream.route('POST', '/v1/rerank', { json: json('rerank-response.json') });
    const result = await adapter.rerank!(
      {
        model: 'rerank-2.5',
        query: 'capital of France?',
        documents: ['Berlin is in Germany.', { text: 'Paris is the capital of France.' }],
        top_n: 1,
      },
      context(),
    );
    const [request] = upstream.requests;
    expect(request?.path).toBe('/v1/rerank');
    expect(request?.headers).toEqual(expectedHeaders);
    expect(request?.json()).toEqual({
      query: 'capital of France?',
      documents: ['Berlin is in Germany.', 'Paris is the capital of France.'],
      model: 'rerank-2.5',
      top_k: 1,
    });
    expect(result).toEqual({
      model: 'rerank-2.5',
      results: [{ index: 1, relevance_score: 0.8867 }],
      usage: { total_tokens: 21 },
    });
  });

  it('returns documents as objects when asked', async () => {
    upstream.route('POST', '/v1/rerank', { json: json('rerank-response-documents.json') });
    const result = await adapter.rerank!(
      {
        model: 'rerank-2.5',
        query: 'capital of France?',
        documents: ['Berlin is in Germany.', 'Paris is the capital of France.'],
        return_documents: true,
      },
      context(),
    );
    expect(upstream.requests[0]?.json()).toMatchObject({ return_documents: true });
    expect(result.results).toEqual([
      { index: 1, relevance_score: 0.8867, document: { text: 'Paris is the capital of France.' } },
      { index: 0, relevance_score: 0.1953, document: { text: 'Berlin is in Germany.' } },
    ]);
  });
});

describe('voyage credential validation', () => {
  it('embeds one word with the cheapest model', async () => {
    upstream.route('POST', '/v1/embeddings', { json: json('embed-response.json') });
    await expect(adapter.validateCredentials(context())).resolves.toEqual({});
    const [request] = upstream.requests;
    expect(request?.headers).toEqual(expectedHeaders);
    expect(request?.json()).toEqual({ input: ['ping'], model: 'voyage-3.5-lite' });
  });

  it('checks a custom rerank model by reranking one document', async () => {
    upstream.route('POST', '/v1/rerank', { json: json('rerank-response.json') });
    await adapter.validateCredentials(context(), { model: 'rerank-2.5-lite', type: 'rerank' });
    expect(upstream.requests[0]?.json()).toEqual({
      query: 'ping',
      documents: ['ping'],
      model: 'rerank-2.5-lite',
      top_k: 1,
    });
  });

  it('blames the model for an unknown custom model and the base URL for a wrong path', async () => {
    upstream.route('POST', '/v1/embeddings', {
      status: 400,
      json: {
        detail: 'Model voyage-nope is not supported. Supported models are voyage-3.5, voyage-3.5-lite.',
      },
    });
    await expect(
      adapter.validateCredentials(context(), { model: 'voyage-nope', type: 'text-embedding' }),
    ).rejects.toMatchObject({
      constructor: ModelNotFoundError,
      field: 'model',
    });
    await expect(adapter.validateCredentials(context(`${upstream.url}/wrong`))).rejects.toMatchObject({
      constructor: ModelNotFoundError,
      field: 'base_url',
    });
  });
});

// Each operation, its route, and how to call it.
const operations: ErrorMatrixOperation[] = [
  ['embed', 'POST', '/v1/embeddings', (c) => adapter.embed!({ model: 'voyage-3.5', input: 'hi' }, c)],
  [
    'rerank',
    'POST',
    '/v1/rerank',
    (c) => adapter.rerank!({ model: 'rerank-2.5', query: 'q', documents: ['a'] }, c),
  ],
  ['validateCredentials', 'POST', '/v1/embeddings', (c) => adapter.validateCredentials(c)],
];

// Error bodies in Voyage's documented `{detail}` shape; each echoes the key to prove it is removed.
const cases: ErrorMatrixCase[] = [
  [
    '400',
    { status: 400, json: { detail: `Input cannot be empty (${API_KEY})` } },
    BadRequestError,
    { status: 400 },
  ],
  [
    '422 with a field',
    {
      status: 422,
      json: { detail: [{ loc: ['body', 'input'], msg: 'field required', type: 'value_error.missing' }] },
    },
    BadRequestError,
    { status: 422, field: 'input' },
  ],
  [
    '401',
    { status: 401, json: { detail: `Provided API key is invalid: ${API_KEY}` } },
    InvalidCredentialsError,
    { status: 401, field: 'api_key' },
  ],
  [
    '403',
    { status: 403, json: { detail: `Access denied for ${API_KEY}` } },
    PermissionDeniedError,
    { status: 403 },
  ],
  ['404', { status: 404, json: { detail: 'Not Found' } }, ModelNotFoundError, { status: 404 }],
  [
    '429 with Retry-After',
    { status: 429, headers: { 'retry-after': '20' }, json: { detail: 'You have exceeded the rate limit.' } },
    RateLimitedError,
    { status: 429, retryAfterMs: 20_000 },
  ],
  [
    '429 without Retry-After',
    { status: 429, json: { detail: `Rate limit exceeded (${API_KEY})` } },
    RateLimitedError,
    { status: 429, retryAfterMs: undefined },
  ],
  [
    '500',
    { status: 500, json: { detail: `Internal server error ${API_KEY}` } },
    UpstreamUnavailableError,
    { status: 500 },
  ],
  [
    '503',
    { status: 503, json: { detail: 'Service temporarily unavailable' } },
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
  provider: 'voyage',
  secret: API_KEY,
  upstream: () => upstream,
  context,
  refusedBaseUrl: (port) => `http://127.0.0.1:${port}/v1`,
  operations,
  cases,
});

describe('voyage proxy and abort', () => {
  it('sends calls through the credential proxy_url', async () => {
    const proxy = await startConnectProxy();
    try {
      upstream.route('POST', '/v1/embeddings', { json: json('embed-response.json') });
      // No injected dispatcher: the adapter picks the proxy from the credential.
      await createVoyageAdapter().embed!(
        { model: 'voyage-3.5', input: 'hello' },
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
      { model: 'rerank-2.5', query: 'q', documents: ['a'] },
      { ...context(), signal: controller.signal },
    );
    await expect.poll(() => upstream.requests.length).toBe(1);
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(AbortedError);
    await expect.poll(() => upstream.aborted.length).toBe(1);
  });
});
