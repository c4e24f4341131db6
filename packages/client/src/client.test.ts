import { describe, expect, it } from 'vitest';
import { createSwitchboardClient } from './index.ts';

// The end-to-end tests of the client against a real server live in apps/server/test/http.test.ts;
// here: the request the client puts on the wire.
describe('createSwitchboardClient', () => {
  it('sends the token as a bearer header to /trpc on the given URL', async () => {
    const seen: { url: string; authorization: string | null }[] = [];
    const client = createSwitchboardClient({
      url: 'http://127.0.0.1:1/',
      token: 'sbp_testtoken000000000000000000000',
      fetch: async (input, init) => {
        seen.push({ url: String(input), authorization: new Headers(init?.headers).get('authorization') });
        return new Response(JSON.stringify([{ result: { data: { needsSetup: false } } }]), {
          headers: { 'content-type': 'application/json' },
        });
      },
    });
    await expect(client.auth.status.query()).resolves.toEqual({ needsSetup: false });
    expect(seen[0]?.url).toMatch(/^http:\/\/127\.0\.0\.1:1\/trpc\/auth\.status\?batch=1/);
    expect(seen[0]?.authorization).toBe('Bearer sbp_testtoken000000000000000000000');
  });

  it('sends password procedures on their own, never in a batch', async () => {
    const seen: string[] = [];
    const client = createSwitchboardClient({
      url: 'http://127.0.0.1:1',
      fetch: async (input) => {
        seen.push(String(input));
        return new Response(JSON.stringify({ result: { data: { token: 'sbp_x', view: {} } } }), {
          headers: { 'content-type': 'application/json' },
        });
      },
    });
    await client.auth.createToken.mutate({ email: 'a@example.test', password: 'long enough', name: 'cli' });
    expect(seen).toEqual(['http://127.0.0.1:1/trpc/auth.createToken']);
  });
});
