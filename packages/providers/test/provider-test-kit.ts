// The providers' test kit (test-only: *.test.ts import it). Calls and contexts against fake upstreams,
// reading bodies, failures that must hold no secret, and the two shared error suites: the OpenAI
// family's chat errors (defineErrorTests) and the every-operation matrix (describeErrorMatrix).
import { type CannedResponse, closedPort, type FakeUpstream } from '@switchboard/test-utils';
import { Agent } from 'undici';
import { describe, expect, it } from 'vitest';
import {
  BadRequestError,
  type CallContext,
  type ChatRequest,
  type CredentialValues,
  InvalidCredentialsError,
  MalformedResponseError,
  ModelNotFoundError,
  PermissionDeniedError,
  type ProviderAdapter,
  ProviderError,
  QuotaExceededError,
  RateLimitedError,
  TimeoutError,
  UpstreamUnavailableError,
} from '@switchboard/provider-spec';
import type { HttpSettings, HttpTimeouts } from '../src/shared/http.ts';

/** A call context that is never aborted unless `signal` is given. */
export const callContext = (
  credentials: CredentialValues,
  signal = new AbortController().signal,
): CallContext => ({
  credentials,
  signal,
});

/** A call context for a fake upstream: its URL as `base_url`, plus `extra` credentials. */
export function contextFor(
  upstream: FakeUpstream,
  extra: CredentialValues = {},
  signal?: AbortSignal,
): CallContext {
  return callContext({ base_url: upstream.url, ...extra }, signal);
}

/** An adapter with its own dispatcher, so a test's connections never mix with another's. */
export function isolatedAdapter(
  create: (settings: HttpSettings) => ProviderAdapter,
  timeouts?: Partial<HttpTimeouts>,
): { adapter: ProviderAdapter; close(): Promise<void> } {
  const dispatcher = new Agent({ keepAliveTimeout: 1_000 });
  return {
    adapter: create({ dispatcher, ...(timeouts ? { timeouts } : {}) }),
    close: () => dispatcher.close(),
  };
}

/** Reads a byte stream to the end. */
export async function collect(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Reads a whole byte stream (an SSE body) as UTF-8 text. */
export async function readAll(body: AsyncIterable<Uint8Array>): Promise<string> {
  return (await collect(body)).toString('utf8');
}

/** The `data:` payloads of an OpenAI SSE body, JSON-parsed except the final `[DONE]`. */
export function sseData(text: string): unknown[] {
  return text
    .split('\n\n')
    .filter((event) => event.length > 0)
    .map((event) => {
      if (!event.startsWith('data: ')) throw new Error(`not an SSE data event: ${event}`);
      const data = event.slice('data: '.length);
      return data === '[DONE]' ? data : JSON.parse(data);
    });
}

/** The rejection of `promise`, which must reject (the caller checks what it is). */
export async function failure(promise: Promise<unknown> | undefined): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    return error as ProviderError;
  }
  throw new Error('expected the call to fail');
}

/**
 * The traces of `secret` in `text`: any 8 characters of it in any case, with or without
 * separators between them, or 8 characters of its base64 encoding (at each byte alignment,
 * standard or URL-safe alphabet). Empty when the text holds none.
 */
export function secretTraces(text: string, secret: string): string[] {
  const found: string[] = [];
  const look = (haystack: string, needle: string, label: string) => {
    for (let i = 0; i + 8 <= needle.length; i++) {
      if (haystack.includes(needle.slice(i, i + 8))) found.push(`${label}: ${needle.slice(i, i + 8)}`);
    }
  };
  const bare = (value: string) => value.toLowerCase().replace(/[^a-z0-9]/g, '');
  look(text.toLowerCase(), secret.toLowerCase(), 'piece');
  look(bare(text), bare(secret), 'spaced');
  for (const prefix of ['', ':', '::']) {
    const bytes = Buffer.from(`${prefix}${secret}`);
    // Drop the characters the prefix and the last partial group share with their neighbours.
    const skip = prefix.length === 0 ? 0 : prefix.length + 1;
    for (const encoding of ['base64', 'base64url'] as const) {
      const encoded = bytes.toString(encoding).replace(/=+$/, '');
      look(text, encoded.slice(skip, encoded.length - 2), 'base64');
    }
  }
  return found;
}

/**
 * Asserts `error` is `provider`'s ProviderError and that none of its text (message, upstream
 * message, stack, JSON) holds a trace of the secret (see `secretTraces`).
 */
export function expectNoSecret(error: unknown, provider: string, secret: string): void {
  expect(error).toBeInstanceOf(ProviderError);
  const providerError = error as ProviderError;
  for (const text of [
    providerError.message,
    providerError.upstreamMessage ?? '',
    String(providerError.stack),
    JSON.stringify(providerError),
  ]) {
    expect(secretTraces(text, secret)).toEqual([]);
  }
  expect(providerError.provider).toBe(provider);
}

/** Awaits a call that must fail with `provider`'s ProviderError holding no trace of `secret`, and returns it. */
export async function providerFailure(
  promise: Promise<unknown> | undefined,
  provider: string,
  secret: string,
): Promise<ProviderError> {
  const error = await failure(promise);
  expectNoSecret(error, provider, secret);
  return error;
}

/** The error the stream's body throws while being read. */
export async function streamFailure(
  body: AsyncIterable<Uint8Array>,
): Promise<{ error: ProviderError; read: Buffer }> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of body) chunks.push(Buffer.from(chunk));
  } catch (error) {
    return { error: error as ProviderError, read: Buffer.concat(chunks) };
  }
  throw new Error('expected the stream to fail');
}

/** Multipart fields as `name -> text` (files as `filename|type|byteLength`), parsed with the request's boundary. */
export function parseMultipart(contentType: string, body: Buffer): Record<string, string> {
  const boundary = /boundary=(.+)$/.exec(contentType)?.[1];
  if (!boundary) throw new Error(`no boundary in ${contentType}`);
  const fields: Record<string, string> = {};
  const text = body.toString('latin1');
  expect(text.endsWith(`--${boundary}--\r\n`)).toBe(true);
  for (const part of text.split(`--${boundary}`).slice(1, -1)) {
    const [head = '', ...rest] = part.slice(2).split('\r\n\r\n');
    const content = rest.join('\r\n\r\n').slice(0, -2);
    const name = /name="([^"]+)"/.exec(head)?.[1] ?? '';
    const filename = /filename="([^"]+)"/.exec(head)?.[1];
    const type = /Content-Type: (.+)/.exec(head)?.[1];
    fields[name] = filename ? `${filename}|${type}|${Buffer.from(content, 'latin1').length}` : content;
  }
  return fields;
}

/** What the shared error-mapping tests need to know about one provider. */
export interface ErrorTestSetup {
  upstream: () => FakeUpstream;
  /** The adapter under test, built with the test dispatcher. */
  adapter: () => ProviderAdapter;
  /** Same adapter with a short first-byte timeout. */
  impatientAdapter: () => ProviderAdapter;
  credentials: () => CredentialValues;
  /** Credentials whose endpoint is `http://127.0.0.1:<port>` with nothing listening. */
  refusedCredentials: (port: number) => CredentialValues;
  /** Method and path the chat call reaches. */
  chatRoute: [string, string];
  /** Error bodies in the provider's documented shape, by status (`401`, `429`...). */
  bodies: Record<string, unknown>;
  /** The one secret that must never surface. */
  secret: string;
  request?: ChatRequest;
}

/** Defines the error-mapping tests every OpenAI-family provider runs on its chat endpoint. */
export function defineErrorTests(setup: ErrorTestSetup): void {
  const request = setup.request ?? {
    model: 'test-model',
    messages: [{ role: 'user' as const, content: 'Hi' }],
  };
  const chat = (adapter = setup.adapter(), credentials = setup.credentials()) => {
    if (!adapter.chat) throw new Error('adapter has no chat');
    return failure(adapter.chat(request, callContext(credentials)));
  };
  const answer = (status: number, key: string, headers: Record<string, string> = {}) => {
    const [method, path] = setup.chatRoute;
    const body = setup.bodies[key] ?? setup.bodies[String(status)];
    if (body === undefined) throw new Error(`no ${key} error fixture`);
    // Upstreams echo the key they were sent: the adapter must scrub it.
    const text = JSON.stringify(body).replace('ECHO_KEY', setup.secret);
    setup.upstream().route(method, path, {
      status,
      headers: { 'content-type': 'application/json', ...headers },
      body: text,
    });
  };
  const noSecret = (error: ProviderError) => expectNoSecret(error, setup.adapter().manifest.id, setup.secret);

  it('maps 400 to BadRequestError', async () => {
    answer(400, '400');
    const error = await chat();
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error.status).toBe(400);
    noSecret(error);
  });
  it('maps 401 to InvalidCredentialsError on api_key, with the echoed key removed', async () => {
    answer(401, '401');
    const error = await chat();
    expect(error).toBeInstanceOf(InvalidCredentialsError);
    expect(error.field).toBe('api_key');
    expect(error.provider).toBe(setup.adapter().manifest.id);
    noSecret(error);
  });
  it('maps 403 to PermissionDeniedError', async () => {
    answer(403, '403');
    const error = await chat();
    expect(error).toBeInstanceOf(PermissionDeniedError);
    noSecret(error);
  });
  it('maps 404 to ModelNotFoundError', async () => {
    answer(404, '404');
    const error = await chat();
    expect(error).toBeInstanceOf(ModelNotFoundError);
    noSecret(error);
  });
  it('maps 429 with Retry-After to RateLimitedError with retryAfterMs', async () => {
    answer(429, '429', { 'retry-after': '7' });
    const error = await chat();
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBe(7000);
    noSecret(error);
  });
  it('maps 429 without Retry-After to RateLimitedError without a wait', async () => {
    answer(429, '429');
    const error = await chat();
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBeUndefined();
  });
  if (setup.bodies['429-quota']) {
    it('maps an out-of-credit 429 to QuotaExceededError', async () => {
      answer(429, '429-quota');
      expect(await chat()).toBeInstanceOf(QuotaExceededError);
    });
  }
  it('maps 500 and 503 to UpstreamUnavailableError', async () => {
    answer(500, '500');
    const first = await chat();
    expect(first).toBeInstanceOf(UpstreamUnavailableError);
    expect(first.status).toBe(500);
    answer(503, '503');
    const second = await chat();
    expect(second).toBeInstanceOf(UpstreamUnavailableError);
    expect(second.status).toBe(503);
    noSecret(second);
  });
  it('maps a 502 HTML page to UpstreamUnavailableError', async () => {
    const [method, path] = setup.chatRoute;
    setup.upstream().route(method, path, {
      status: 502,
      headers: { 'content-type': 'text/html' },
      body: '<html>Bad gateway</html>',
    });
    expect(await chat()).toBeInstanceOf(UpstreamUnavailableError);
  });
  it('maps a 200 body that is not JSON to MalformedResponseError', async () => {
    const [method, path] = setup.chatRoute;
    setup.upstream().route(method, path, {
      status: 200,
      headers: { 'content-type': 'text/html' },
      body: '<html>login</html>',
    });
    const error = await chat();
    expect(error).toBeInstanceOf(MalformedResponseError);
    noSecret(error);
  });
  it('maps a silent upstream to TimeoutError', async () => {
    const [method, path] = setup.chatRoute;
    setup.upstream().route(method, path, { hang: true });
    const error = await chat(setup.impatientAdapter());
    expect(error).toBeInstanceOf(TimeoutError);
    noSecret(error);
  });
  it('maps a refused connection to UpstreamUnavailableError on the endpoint field', async () => {
    const error = await chat(setup.adapter(), setup.refusedCredentials(await closedPort()));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error.field).toBe('base_url');
    noSecret(error);
  });
}

/** One adapter operation, the route it calls, and how to call it. */
export type ErrorMatrixOperation = [
  name: string,
  method: string,
  path: string,
  call: (context: CallContext) => Promise<unknown>,
];

/** One upstream answer (in the provider's documented shape) and the error it must become. */
export type ErrorMatrixCase = [
  label: string,
  canned: CannedResponse,
  errorClass: new (...args: never[]) => ProviderError,
  fields: Record<string, unknown>,
];

/** What the matrix needs to know about one provider's test file. */
export interface ErrorMatrixSetup {
  /** Provider id: names the describe blocks and must be the error's `provider`. */
  provider: string;
  /** The key the cases echo back, which must never surface. */
  secret: string;
  upstream: () => FakeUpstream;
  /** A call context for the fake upstream, or for `baseUrl` when given. */
  context: (baseUrl?: string) => CallContext;
  /** The provider's base URL on a local `port` where nothing listens. */
  refusedBaseUrl: (port: number) => string;
  operations: ErrorMatrixOperation[];
  cases: ErrorMatrixCase[];
}

/** Defines `<provider> <operation> errors`: each case, then a refused connection, for every operation. */
export function describeErrorMatrix(setup: ErrorMatrixSetup): void {
  const { provider, secret } = setup;
  describe.each(setup.operations)(`${provider} %s errors`, (_name, method, path, call) => {
    it.each(setup.cases)('maps %s', async (_label, canned, errorClass, fields) => {
      setup.upstream().route(method, path, canned);
      const error = await call(setup.context()).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(errorClass);
      expect(error).toMatchObject(fields);
      expectNoSecret(error, provider, secret);
    });

    it('maps a refused connection to an unavailable upstream at base_url', async () => {
      const error = await call(setup.context(setup.refusedBaseUrl(await closedPort()))).catch(
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(UpstreamUnavailableError);
      expect(error).toMatchObject({ field: 'base_url' });
      expectNoSecret(error, provider, secret);
    });
  });
}
