import { createUser, listCredentials, login } from '@switchboard/core';
import { ENGINES } from '@switchboard/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayFixture, startGatewayFixture } from './gateway-fixture.ts';

// The console's playground reaches the gateway with its session cookie at /console/v1: the
// browser holds no key, and the path keeps /trpc's cross-site check (decision 0024).

const CHAT = {
  model: 'openai-compatible/local-model',
  stream: true,
  messages: [{ role: 'user', content: 'Hi' }],
};

describe.each(ENGINES)('the console gateway path on %s', (engine) => {
  let fixture: GatewayFixture;
  let cookie: string;
  let strangerCookie: string;

  beforeAll(async () => {
    fixture = await startGatewayFixture(engine);
    const { core } = fixture.server;
    const session = await login(core, {
      email: 'admin@example.test',
      password: 'a long enough password',
      clientAddress: '127.0.0.1',
    });
    cookie = `sb_session=${session.sessionToken}`;
    await createUser(
      core,
      { kind: 'system', label: 'test' },
      {
        email: 'stranger@example.test',
        password: 'another long password',
        name: 'Stranger',
      },
    );
    const other = await login(core, {
      email: 'stranger@example.test',
      password: 'another long password',
      clientAddress: '127.0.0.1',
    });
    strangerCookie = `sb_session=${other.sessionToken}`;
  });
  afterAll(() => fixture?.close());

  /** A call as the console makes it: same origin, JSON, the session cookie and the workspace header. */
  function call(overrides: { path?: string; method?: string; headers?: Record<string, string> } = {}) {
    const url = new URL(fixture.server.url);
    return fetch(`${fixture.server.url}${overrides.path ?? '/console/v1/chat/completions'}`, {
      method: overrides.method ?? 'POST',
      headers: {
        'content-type': 'application/json',
        origin: url.origin,
        cookie,
        'x-switchboard-workspace': fixture.workspaceId,
        ...overrides.headers,
      },
      ...((overrides.method ?? 'POST') === 'POST' ? { body: JSON.stringify(CHAT) } : {}),
    });
  }

  it('streams a chat answer for the signed-in user, naming the model and key that served it', async () => {
    const response = await call();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(response.headers.get('x-switchboard-model')).toBe('openai-compatible/local-model');
    const [credential] = await listCredentials(fixture.server.core, fixture.actor, {
      workspaceId: fixture.workspaceId,
      provider: 'openai-compatible',
      model: { name: 'local-model', type: 'llm' },
    });
    expect(response.headers.get('x-switchboard-credential')).toBe(credential?.id);
    const text = await response.text();
    expect(text).toContain('wörld');
    expect(text).toContain('data: [DONE]');

    await fixture.server.gateway.runtime.usage.flush();
    const rows = await fixture.server.core.db.selectFrom('usage_events').selectAll().execute();
    expect(rows.at(-1)).toMatchObject({
      workspace_id: fixture.workspaceId,
      user_id: fixture.actor.kind === 'user' ? fixture.actor.userId : '',
      api_key_id: null,
      outcome: 'ok',
    });
  });

  it('never names the serving key to API-key callers of /v1', async () => {
    const response = await fetch(`${fixture.server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${fixture.apiKey}` },
      body: JSON.stringify(CHAT),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-switchboard-credential')).toBeNull();
    await response.text();
  });

  it('refuses what is not the console: no session, another site, a form post, no or a foreign workspace', async () => {
    const refusals: [Parameters<typeof call>[0], number, string][] = [
      [{ headers: { cookie: '' } }, 401, 'session_required'],
      // An API key does not open the session path: apps use /v1.
      [{ headers: { cookie: '', authorization: `Bearer ${fixture.apiKey}` } }, 401, 'session_required'],
      [{ headers: { origin: 'https://evil.example' } }, 403, 'cross_site'],
      [{ headers: { 'sec-fetch-site': 'cross-site' } }, 403, 'cross_site'],
      [{ headers: { 'content-type': 'text/plain' } }, 403, 'cross_site'],
      [{ headers: { 'x-switchboard-workspace': '' } }, 400, 'workspace_required'],
      [{ headers: { cookie: strangerCookie } }, 404, 'workspace_not_found'],
      [{ path: '/console/v1/embeddings' }, 404, 'unknown_url'],
      [{ method: 'GET' }, 405, 'method_not_allowed'],
    ];
    const before = fixture.upstream.requests.length;
    for (const [overrides, status, code] of refusals) {
      const response = await call(overrides);
      expect({
        status: response.status,
        code: ((await response.json()) as { error: { code: string } }).error.code,
      }).toEqual({ status, code });
    }
    expect(fixture.upstream.requests.length).toBe(before);
  });
});
