import type { ServerResponse } from 'node:http';
import {
  createPersonalAccessToken,
  invalidateResolveCache,
  addCustomModel,
  getLoadBalancing,
  listCredentials,
  revokePersonalAccessToken,
  setLoadBalancing,
  usageSummary,
} from '@switchboard/core';
import { ENGINES, type RecordedRequest } from '@switchboard/test-utils';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  completion,
  type GatewayFixture,
  KEY_A,
  KEY_B,
  keyOf,
  startGatewayFixture,
  streamChunks,
} from './gateway-fixture.ts';

const MODEL = 'openai-compatible/local-model';

describe.each(ENGINES)('the /v1 gateway on %s, through the openai SDK', (engine) => {
  let fixture: GatewayFixture;

  beforeAll(async () => {
    fixture = await startGatewayFixture(engine);
  });
  afterAll(() => fixture?.close());
  beforeEach(async () => {
    // Each test starts with every key rested: earlier failures are other tests' business.
    await fixture.server.gateway.runtime.cooldowns.settle();
    await fixture.server.core.db.deleteFrom('credential_cooldowns').execute();
    fixture.server.gateway.runtime.cooldowns.forget();
    invalidateResolveCache(fixture.server.core);
    fixture.chatBehaviour.clear();
    fixture.upstream.requests.length = 0;
  });

  it('answers a chat completion by provider/model, with the provider key and upstream model name', async () => {
    const answer = await fixture.openai.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(answer.choices[0]?.message.content).toBe(`answered with ${KEY_A}`);
    const sent = fixture.upstream.requests.find((request) => request.path === '/v1/chat/completions');
    expect(sent?.json()).toMatchObject({ model: 'local-model', messages: [{ role: 'user', content: 'Hi' }] });
    expect(sent?.headers.authorization).toBe(`Bearer ${KEY_A}`);
  });

  it('uses the workspace default when the model is "default" or a bare unambiguous name', async () => {
    const byDefault = await fixture.openai.chat.completions.create({
      model: 'default',
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(byDefault.choices[0]?.message.content).toContain('answered');
    const bare = await fixture.openai.chat.completions.create({
      model: 'local-model',
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(bare.choices[0]?.message.content).toContain('answered');
  });

  it('leaves the usage chunk out of a stream unless the client asked, and still records usage', async () => {
    const stream = await fixture.openai.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) {
      // The loop people write by hand: it fails on a chunk with empty choices.
      text += (chunk.choices[0] as OpenAI.ChatCompletionChunk.Choice).delta.content ?? '';
    }
    expect(text).toBe('Hello wörld');
    const sent = fixture.upstream.requests.find((request) => request.path === '/v1/chat/completions');
    expect(sent?.json()).toMatchObject({ stream_options: { include_usage: true } });
    await fixture.server.gateway.runtime.usage.flush();
    const rows = await fixture.server.core.db
      .selectFrom('usage_events')
      .select(['tokens_in', 'tokens_out'])
      .orderBy('created_at', 'desc')
      .limit(1)
      .execute();
    expect(rows[0]).toEqual({ tokens_in: 9, tokens_out: 3 });
  });

  it('streams chunks through unchanged, with usage at the end', async () => {
    const stream = await fixture.openai.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('Hello wörld');
    expect(usage).toEqual({ prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 });
  });

  it('serves embeddings', async () => {
    const result = await fixture.openai.embeddings.create({
      model: 'openai-compatible/local-embed',
      input: ['a', 'b'],
    });
    expect(result.data.map((entry) => entry.index)).toEqual([0, 1]);
    expect(result.usage.prompt_tokens).toBe(8);
  });

  it('lists the usable models in OpenAI shape', async () => {
    const list = await fixture.openai.models.list();
    const ids = list.data.map((model) => model.id);
    expect(ids).toEqual(expect.arrayContaining([MODEL, 'openai-compatible/local-embed']));
  });

  it('refuses bad bodies, unknown models, wrong key types, and a token without a workspace', async () => {
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${fixture.server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${fixture.apiKey}`,
          'content-type': 'application/json',
          ...headers,
        },
        body,
      });
    const notJson = await post('{not json');
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    const noMessages = await post(JSON.stringify({ model: MODEL }));
    expect(((await noMessages.json()) as { error: { param: string } }).error.param).toBe('messages');
    const unknown = await post(
      JSON.stringify({ model: 'openai-compatible/nope', messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(unknown.status).toBe(404);
    const wrongType = await post(
      JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'x' }] }),
      {
        authorization: 'Bearer sk-test-not-a-switchboard-key',
      },
    );
    expect(wrongType.status).toBe(401);
    const revokedOrUnknown = await post(
      JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'x' }] }),
      {
        authorization: 'Bearer sbk_unknownunknownunknownunknown0000',
      },
    );
    expect(revokedOrUnknown.status).toBe(401);
    const tokenWithoutWorkspace = await post(
      JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'x' }] }),
      {
        authorization: `Bearer ${fixture.ownerToken}`,
      },
    );
    expect(tokenWithoutWorkspace.status).toBe(400);
    const tokenWithWorkspace = await post(
      JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'x' }] }),
      {
        authorization: `Bearer ${fixture.ownerToken}`,
        'x-switchboard-workspace': fixture.workspaceId,
      },
    );
    expect(tokenWithWorkspace.status).toBe(200);
    const tooBig = await post(
      JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'x'.repeat(3 * 1024 * 1024) }] }),
    );
    expect(tooBig.status).toBe(413);
  });

  it('stops honouring a personal token on /v1 as soon as it is revoked', async () => {
    const { token, view } = await createPersonalAccessToken(fixture.server.core, fixture.actor, {
      name: 'editor',
    });
    const call = () =>
      fetch(`${fixture.server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'x-switchboard-workspace': fixture.workspaceId,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'x' }] }),
      });
    expect((await call()).status).toBe(200);
    await revokePersonalAccessToken(fixture.server.core, fixture.actor, { tokenId: view.id });
    // Within the cache's 10 s lifetime: the revocation's notice, not the clock, ends it.
    expect((await call()).status).toBe(401);
  });

  it('ends a stream that fails midway with an error, never a silent truncation', async () => {
    fixture.chatBehaviour.set(KEY_A, (request, response) => {
      const model = (request.json() as { model: string }).model;
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const chunk of streamChunks(model, ['partial'], false).slice(0, 2)) response.write(chunk);
      setTimeout(() => response.socket?.destroy(), 20);
    });
    const stream = await fixture.openai.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    const read = async () => {
      for await (const _ of stream) {
        // drain
      }
    };
    await expect(read()).rejects.toThrow();
  });

  it('aborts the upstream call when the client goes away', async () => {
    fixture.chatBehaviour.set(KEY_A, () => undefined); // never answers
    const controller = new AbortController();
    const pending = fixture.openai.chat.completions.create(
      { model: MODEL, messages: [{ role: 'user', content: 'Hi' }] },
      { signal: controller.signal },
    );
    await waitFor(() => fixture.upstream.requests.some((request) => request.path === '/v1/chat/completions'));
    controller.abort();
    await expect(pending).rejects.toThrow();
    await waitFor(() => fixture.upstream.aborted.length > 0);
  });

  describe('with two keys, load balanced', () => {
    beforeAll(async () => {
      const added = await addCustomModel(fixture.server.core, fixture.actor, {
        workspaceId: fixture.workspaceId,
        provider: 'openai-compatible',
        model: { name: 'local-model', type: 'llm' },
        credential: { name: 'key-b', values: { base_url: `${fixture.upstream.url}/v1`, api_key: KEY_B } },
      });
      expect(added.attached).toBe(true);
      const credentials = await listCredentials(fixture.server.core, fixture.actor, {
        workspaceId: fixture.workspaceId,
        provider: 'openai-compatible',
        model: { name: 'local-model', type: 'llm' },
      });
      await setLoadBalancing(fixture.server.core, fixture.actor, {
        workspaceId: fixture.workspaceId,
        provider: 'openai-compatible',
        model: { name: 'local-model', type: 'llm' },
        enabled: true,
        credentials: credentials.map((credential) => ({ credentialId: credential.id, weight: 1 })),
      });
    });

    it('alternates between the keys by weight', async () => {
      for (let i = 0; i < 4; i++) {
        await fixture.openai.chat.completions.create({
          model: MODEL,
          messages: [{ role: 'user', content: `${i}` }],
        });
      }
      const keys = fixture.upstream.requests.map(keyOf);
      expect(keys.filter((key) => key === KEY_A)).toHaveLength(2);
      expect(keys.filter((key) => key === KEY_B)).toHaveLength(2);
    });

    it('brings a key back once its cooldown expires', async () => {
      fixture.chatBehaviour.set(KEY_A, (_request, response) => {
        response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
        response.end(
          JSON.stringify({ error: { message: 'Rate limit reached', code: 'rate_limit_exceeded' } }),
        );
      });
      for (let i = 0; i < 2; i++) {
        await fixture.openai.chat.completions.create({
          model: MODEL,
          messages: [{ role: 'user', content: 'Hi' }],
        });
      }
      fixture.chatBehaviour.delete(KEY_A);
      fixture.upstream.requests.length = 0;
      // Retry-After was one second: wait it out, then key A takes its turn again.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      for (let i = 0; i < 4; i++) {
        await fixture.openai.chat.completions.create({
          model: MODEL,
          messages: [{ role: 'user', content: 'Hi' }],
        });
      }
      expect(fixture.upstream.requests.map(keyOf)).toContain(KEY_A);
    });

    it('fails over on a 429, rests that key for its Retry-After, and reports when all keys rest', async () => {
      const rateLimited = (_request: unknown, response: import('node:http').ServerResponse) => {
        response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '30' });
        response.end(
          JSON.stringify({
            error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' },
          }),
        );
      };
      fixture.chatBehaviour.set(KEY_A, rateLimited);
      for (let i = 0; i < 3; i++) {
        const answer = await fixture.openai.chat.completions.create({
          model: MODEL,
          messages: [{ role: 'user', content: 'Hi' }],
        });
        expect(answer.choices[0]?.message.content).toBe(`answered with ${KEY_B}`);
      }
      // Key A was tried at most once: afterwards it rests.
      expect(
        fixture.upstream.requests.filter((request) => keyOf(request) === KEY_A).length,
      ).toBeLessThanOrEqual(1);
      await fixture.server.gateway.runtime.cooldowns.settle();
      const balancing = await getLoadBalancing(fixture.server.core, fixture.actor, {
        workspaceId: fixture.workspaceId,
        provider: 'openai-compatible',
        model: { name: 'local-model', type: 'llm' },
      });
      expect(JSON.stringify(balancing)).toMatch(/cooldownUntil":"20/);

      fixture.chatBehaviour.set(KEY_B, rateLimited);
      const allResting = await fetch(`${fixture.server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${fixture.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }] }),
      });
      expect(allResting.status).toBe(429);
      expect(Number(allResting.headers.get('retry-after'))).toBeGreaterThan(0);
    });
  });

  it("answers 429 with Retry-After while the only key rests, so the SDK's own retries succeed", async () => {
    // Each key (one, or two when an earlier test turned load balancing on) is rate-limited once.
    const limited = new Set<string>();
    const onceLimited = (request: RecordedRequest, response: ServerResponse) => {
      const key = keyOf(request);
      if (!limited.has(key)) {
        limited.add(key);
        response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
        response.end(
          JSON.stringify({ error: { message: 'Rate limit reached', code: 'rate_limit_exceeded' } }),
        );
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(completion((request.json() as { model: string }).model, 'back again')));
    };
    fixture.chatBehaviour.set(KEY_A, onceLimited);
    fixture.chatBehaviour.set(KEY_B, onceLimited);
    await expect(
      fixture.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }] }),
    ).rejects.toMatchObject({ status: 429 });
    // The rest is written and every cache has heard of it: the resolver now sees a resting key.
    await fixture.server.gateway.runtime.cooldowns.settle();
    const resting = await fetch(`${fixture.server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fixture.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    expect(resting.status).toBe(429);
    expect(Number(resting.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    // The SDK's default retries honour Retry-After and get through once the key is back.
    const patient = new OpenAI({ baseURL: `${fixture.server.url}/v1`, apiKey: fixture.apiKey });
    const answer = await patient.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(answer.choices[0]?.message.content).toBe('back again');
  });

  it('records usage off the request path and summarises it by credential and API key', async () => {
    await fixture.openai.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'count me' }],
    });
    await fixture.server.gateway.runtime.usage.flush();
    const summary = await usageSummary(fixture.server.core, fixture.actor, {
      workspaceId: fixture.workspaceId,
    });
    expect(summary.total.calls).toBeGreaterThan(0);
    expect(summary.total.tokensIn).toBeGreaterThan(0);
    expect(summary.byCredential.some((entry) => entry.credentialName === 'key-a')).toBe(true);
    expect(summary.byApiKey.some((entry) => entry.apiKeyName === 'tests')).toBe(true);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
