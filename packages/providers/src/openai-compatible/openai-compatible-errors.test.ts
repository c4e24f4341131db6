import { describe, expect, it } from 'vitest';
import { responsesStreamError } from './openai-compatible-errors.ts';

// The failures a Responses API stream reports midway, mapped as the gateway's key policy needs:
// the provider's own failures are the key's (transient), the request's are not.

const context = { provider: 'openai' as const, label: 'OpenAI', secrets: ['sk-test-fake-secret-0001'] };

describe('responsesStreamError', () => {
  it('maps response.failed and error events by their code; other events are no failure', () => {
    const failed = (code: string | null) => ({
      type: 'response.failed',
      response: { id: 'resp_1', status: 'failed', error: { code, message: `failed: ${code}` } },
    });
    expect(responsesStreamError(failed('server_error'), context)?.code).toBe('upstream_unavailable');
    expect(responsesStreamError(failed('rate_limit_exceeded'), context)?.code).toBe('rate_limited');
    expect(responsesStreamError(failed('vector_store_timeout'), context)?.code).toBe('timeout');
    expect(responsesStreamError(failed('invalid_prompt'), context)?.code).toBe('bad_request');
    expect(responsesStreamError(failed(null), context)?.code).toBe('upstream_unavailable');
    expect(
      responsesStreamError({ type: 'error', code: null, message: 'An error occurred', param: null }, context)
        ?.code,
    ).toBe('upstream_unavailable');
    expect(responsesStreamError({ type: 'response.completed', response: {} }, context)).toBeUndefined();
    expect(responsesStreamError({ type: 'response.output_text.delta', delta: 'x' }, context)).toBeUndefined();
  });

  it('never carries the key in its message', () => {
    const error = responsesStreamError(
      { type: 'error', code: 'server_error', message: 'bad key sk-test-fake-secret-0001 here', param: null },
      context,
    );
    expect(error?.message).not.toContain('sk-test-fake-secret-0001');
  });
});
