// Test-only helper shared by the Anthropic and Gemini tests (imported by *.test.ts).
import { expect } from 'vitest';
import { ProviderError } from '@switchboard/provider-spec';

/** Awaits a call that must fail with `provider`'s ProviderError, checks its messages do not hold `secret`, and returns it. */
export async function providerFailure(
  promise: Promise<unknown> | undefined,
  provider: string,
  secret: string,
): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderError);
    const providerError = error as ProviderError;
    expect(providerError.message).not.toContain(secret);
    expect(providerError.upstreamMessage ?? '').not.toContain(secret);
    expect(providerError.provider).toBe(provider);
    return providerError;
  }
  throw new Error('expected the call to fail');
}
