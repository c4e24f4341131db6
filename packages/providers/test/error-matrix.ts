// The error-mapping matrix the Cohere, Jina and Voyage tests share: every operation against every
// upstream failure (test-only, imported by *.test.ts).
import { type CannedResponse, closedPort, type FakeUpstream } from '@switchboard/test-utils';
import { describe, expect, it } from 'vitest';
import { type CallContext, ProviderError, UpstreamUnavailableError } from '@switchboard/provider-spec';

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

/** Asserts `error` is the provider's ProviderError and that no text of it holds the secret (or its first 10 characters). */
export function expectNoSecret(error: unknown, provider: string, secret: string): void {
  expect(error).toBeInstanceOf(ProviderError);
  const providerError = error as ProviderError;
  for (const text of [
    providerError.message,
    providerError.upstreamMessage ?? '',
    String(providerError.stack),
  ]) {
    expect(text).not.toContain(secret);
    expect(text).not.toContain(secret.slice(0, 10));
  }
  expect(providerError.provider).toBe(provider);
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
