import { type FakeUpstream, startFakeUpstream } from '@switchboard/test-utils';
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
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
  expectNoSecret,
} from '../../test/provider-test-kit.ts';
import { createCohereAdapter } from './index.ts';

const API_KEY = 'co-test-cohere-0002';
let upstream: FakeUpstream;
let dispatcher: Agent;
let adapter: ProviderAdapter;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  dispatcher = new Agent();
  // A short first-byte timeout so the hanging upstream below times out quickly.
  adapter = createCohereAdapter({ dispatcher, timeouts: { firstByteMs: 150 } });
});
afterAll(async () => {
  await dispatcher.close();
  await upstream.close();
});
beforeEach(() => upstream.reset());

const context = (baseUrl = upstream.url): CallContext => ({
  credentials: { api_key: API_KEY, base_url: baseUrl },
  signal: new AbortController().signal,
});

// Each operation, the route it calls, and how to call it.
const operations: ErrorMatrixOperation[] = [
  [
    'chat',
    'POST',
    '/v2/chat',
    (c) => adapter.chat!({ model: 'command-a-03-2025', messages: [{ role: 'user', content: 'hi' }] }, c),
  ],
  [
    'chatStream',
    'POST',
    '/v2/chat',
    (c) =>
      adapter.chatStream!(
        { model: 'command-a-03-2025', messages: [{ role: 'user', content: 'hi' }], stream: true },
        c,
      ),
  ],
  ['embed', 'POST', '/v2/embed', (c) => adapter.embed!({ model: 'embed-v4.0', input: 'hi' }, c)],
  [
    'rerank',
    'POST',
    '/v2/rerank',
    (c) => adapter.rerank!({ model: 'rerank-v3.5', query: 'q', documents: ['a'] }, c),
  ],
  ['validateCredentials', 'GET', '/v1/models', (c) => adapter.validateCredentials(c)],
];

// Error bodies in Cohere's documented shape; each echoes the key to prove it is removed.
const cases: ErrorMatrixCase[] = [
  [
    '400',
    {
      status: 400,
      json: {
        id: 'b5a1',
        message: `invalid request: valid input_type must be provided with the provided model (key ${API_KEY})`,
      },
    },
    BadRequestError,
    { status: 400 },
  ],
  [
    '400 naming an unknown model',
    {
      status: 400,
      json: { message: "model 'embed-nope' not found, make sure the correct model ID was used" },
    },
    ModelNotFoundError,
    { status: 400, field: 'model' },
  ],
  [
    '401',
    { status: 401, json: { message: `invalid api token: ${API_KEY}` } },
    InvalidCredentialsError,
    { status: 401, field: 'api_key' },
  ],
  [
    '498',
    { status: 498, json: { message: `invalid api token ${API_KEY}` } },
    InvalidCredentialsError,
    { status: 498, field: 'api_key' },
  ],
  [
    '403',
    { status: 403, json: { message: `this key ${API_KEY} cannot use this model` } },
    PermissionDeniedError,
    { status: 403 },
  ],
  [
    '404',
    {
      status: 404,
      json: { message: `model 'x' not found, make sure the correct model ID was used (${API_KEY})` },
    },
    ModelNotFoundError,
    { status: 404 },
  ],
  [
    '429 with Retry-After',
    {
      status: 429,
      headers: { 'retry-after': '7' },
      json: { message: `You are past the per minute request limit (${API_KEY})` },
    },
    RateLimitedError,
    { status: 429, retryAfterMs: 7000 },
  ],
  [
    '429 without Retry-After',
    {
      status: 429,
      json: { message: 'You are using a Trial key, which is limited to 40 API calls / minute.' },
    },
    RateLimitedError,
    { status: 429, retryAfterMs: undefined },
  ],
  [
    '500',
    { status: 500, json: { message: `internal server error ${API_KEY}` } },
    UpstreamUnavailableError,
    { status: 500 },
  ],
  [
    '503',
    { status: 503, json: { message: 'service unavailable' } },
    UpstreamUnavailableError,
    { status: 503 },
  ],
  [
    '502 with an HTML body',
    { status: 502, body: `<html><body>Bad gateway ${API_KEY}</body></html>` },
    UpstreamUnavailableError,
    { status: 502 },
  ],
  ['a hanging upstream', { hang: true }, TimeoutError, {}],
];

describeErrorMatrix({
  provider: 'cohere',
  secret: API_KEY,
  upstream: () => upstream,
  context,
  refusedBaseUrl: (port) => `http://127.0.0.1:${port}`,
  operations,
  cases,
});

describe('cohere malformed answers', () => {
  it.each(operations.filter(([name]) => name !== 'chatStream'))(
    '%s: a 200 body that is not JSON',
    async (_name, method, path, call) => {
      upstream.route(method, path, { status: 200, body: `<html>maintenance ${API_KEY}</html>` });
      const error = await call(context()).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(MalformedResponseError);
      expectNoSecret(error, 'cohere', API_KEY);
    },
  );
});
