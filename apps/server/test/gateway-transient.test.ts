import type { ServerResponse } from 'node:http';
import { getLoadBalancing } from '@switchboard/core';
import type OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type GatewayFixture, KEY_A, startGatewayFixture } from './gateway-fixture.ts';
import { recorded, startUpstreamsFixture, type UpstreamsFixture } from './upstreams-fixture.ts';

// Never refuse a call that might have succeeded: one transient failure does not bench a key; a key
// rests after repeated failures or when the provider says when to come back; and a key resting by
// the gateway's own choice is still tried when no other is left (decision 0027).

const MODEL = 'openai-compatible/local-model';
const ask = (openai: OpenAI) =>
  openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }] });

const failing =
  (status: number, headers: Record<string, string> = {}) =>
  (_request: unknown, response: ServerResponse) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(JSON.stringify({ error: { message: 'The server is overloaded', type: 'server_error' } }));
  };

describe('transient upstream failures, with the only key', () => {
  let fixture: GatewayFixture;

  beforeAll(async () => {
    fixture = await startGatewayFixture('sqlite');
  });
  afterAll(() => fixture?.close());
  beforeEach(async () => {
    fixture.chatBehaviour.clear();
    await fixture.server.gateway.runtime.cooldowns.settle();
    await fixture.server.core.db.deleteFrom('credential_cooldowns').execute();
    // Every cache hears that the stored rests are gone.
    fixture.server.core.changes.publish({
      workspaceId: fixture.workspaceId,
      kind: 'cooldown',
      id: null,
      action: 'cooldown.start',
      at: new Date().toISOString(),
    });
    fixture.server.gateway.runtime.cooldowns.forget();
    fixture.upstream.requests.length = 0;
  });

  const upstreamCalls = () =>
    fixture.upstream.requests.filter((r) => r.path === '/v1/chat/completions').length;

  it('one 5xx (answered 502) does not bench the key: the next call reaches the provider and succeeds', async () => {
    fixture.chatBehaviour.set(KEY_A, failing(500));
    await expect(ask(fixture.openai)).rejects.toMatchObject({ status: 502 });
    fixture.chatBehaviour.delete(KEY_A);
    const answer = await ask(fixture.openai);
    expect(answer.choices[0]?.message.content).toBe(`answered with ${KEY_A}`);
    expect(upstreamCalls()).toBe(2);
  });

  it('repeated failures rest the key (the console shows it), yet the only key is still tried', async () => {
    fixture.chatBehaviour.set(KEY_A, failing(502));
    for (let i = 0; i < 3; i++) await expect(ask(fixture.openai)).rejects.toMatchObject({ status: 502 });
    await fixture.server.gateway.runtime.cooldowns.settle();
    const balancing = await getLoadBalancing(fixture.server.core, fixture.actor, {
      workspaceId: fixture.workspaceId,
      provider: 'openai-compatible',
      model: { name: 'local-model', type: 'llm' },
    });
    expect(JSON.stringify(balancing)).toMatch(/cooldownUntil":"20/);
    fixture.chatBehaviour.delete(KEY_A);
    const answer = await ask(fixture.openai);
    expect(answer.choices[0]?.message.content).toBe(`answered with ${KEY_A}`);
    expect(upstreamCalls()).toBe(4);
  });

  it('a 503 with Retry-After is passed on and rests the key at once: the next call is answered 503 with Retry-After, unsent', async () => {
    fixture.chatBehaviour.set(KEY_A, failing(503, { 'retry-after': '30' }));
    const refused = await ask(fixture.openai).catch((error: unknown) => error);
    expect(refused).toMatchObject({ status: 503 });
    expect((refused as { headers: Headers }).headers.get('retry-after')).toBe('30');
    fixture.chatBehaviour.delete(KEY_A);
    const resting = await fetch(`${fixture.server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fixture.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    expect(resting.status).toBe(503);
    expect(Number(resting.headers.get('retry-after'))).toBeGreaterThan(20);
    expect(upstreamCalls()).toBe(1);
  });

  it('a 429 carrying only rate-limit headers rests the key until their reset', async () => {
    const reset = new Date(Date.now() + 40_000).toISOString();
    fixture.chatBehaviour.set(KEY_A, (_request, response) => {
      response.writeHead(429, {
        'content-type': 'application/json',
        'anthropic-ratelimit-requests-remaining': '0',
        'anthropic-ratelimit-requests-reset': reset,
      });
      response.end(JSON.stringify({ error: { message: 'Rate limit reached', code: 'rate_limit_exceeded' } }));
    });
    await expect(ask(fixture.openai)).rejects.toMatchObject({ status: 429 });
    const resting = await fetch(`${fixture.server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fixture.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    expect(resting.status).toBe(429);
    expect(Number(resting.headers.get('retry-after'))).toBeGreaterThan(30);
  });
});

describe('an overloaded event in the middle of an Anthropic stream', () => {
  let fixture: UpstreamsFixture;

  beforeAll(async () => {
    fixture = await startUpstreamsFixture('sqlite');
  });
  afterAll(() => fixture?.close());

  it('ends that stream with an error, and the next call uses the same key', async () => {
    fixture.upstream.route('POST', '/anthropic/v1/messages', (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      const text = recorded('anthropic', 'stream-overloaded.sse');
      const cut = text.indexOf('event: error');
      // The text goes out first, so the failure comes after bytes reached the client.
      response.write(text.slice(0, cut));
      setTimeout(() => response.end(text.slice(cut)), 30);
    });
    const stream = await fixture.openai.chat.completions.create({
      model: 'anthropic/claude-haiku-4-5-20251001',
      messages: [{ role: 'user', content: 'Tell me a story' }],
      stream: true,
    });
    let text = '';
    const read = async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    };
    await expect(read()).rejects.toThrow(/Overloaded/);
    expect(text).toBe('Once upon');

    fixture.upstream.route('POST', '/anthropic/v1/messages', {
      json: {
        id: 'msg_01',
        type: 'message',
        role: 'assistant',
        model: 'claude-haiku-4-5-20251001',
        content: [{ type: 'text', text: 'The end.' }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: 3 },
      },
    });
    const answer = await fixture.openai.chat.completions.create({
      model: 'anthropic/claude-haiku-4-5-20251001',
      messages: [{ role: 'user', content: 'Finish it' }],
    });
    expect(answer.choices[0]?.message.content).toBe('The end.');
  });
});
