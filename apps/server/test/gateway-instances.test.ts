import {
  type Actor,
  setLoadBalancing,
  activateCredential,
  addCustomModel,
  createApiKey,
  createCredential,
  installProvider,
  listCredentials,
  removeCredential,
  setupFirstOwner,
} from '@switchboard/core';
import { type FakeUpstream, startFakeUpstream } from '@switchboard/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { completion, keyOf } from './gateway-fixture.ts';
import { startServerPair } from './helpers.ts';

// Two server processes' worth of state (two Cores, two HTTP servers, two change feeds)
// on one PostgreSQL database: what one does, the other follows within a second.
describe('two gateway instances sharing PostgreSQL', () => {
  let upstream: FakeUpstream;
  let first: RunningServer;
  let second: RunningServer;
  let actor: Actor;
  let workspaceId: string;
  let apiKey: string;
  const rateLimitedKeys = new Set<string>();

  const chat = (server: RunningServer, model: string) =>
    fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hi' }] }),
    });

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    upstream.route('GET', '/v1/models', { json: { object: 'list', data: [] } });
    upstream.route('POST', '/v1/chat/completions', (request, response) => {
      if (rateLimitedKeys.has(keyOf(request))) {
        response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '60' });
        response.end(
          JSON.stringify({ error: { message: 'Rate limit reached', code: 'rate_limit_exceeded' } }),
        );
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(completion('m', keyOf(request))));
    });
    [first, second] = await startServerPair('postgres');

    const setup = await setupFirstOwner(first.core, {
      email: 'i@example.test',
      password: 'long enough pass',
      workspaceName: 'I',
    });
    actor = { kind: 'user', userId: setup.user.id };
    workspaceId = setup.workspace.id;
    await installProvider(first.core, actor, { workspaceId, provider: 'openai-compatible' });
    const values = (key: string) => ({ base_url: `${upstream.url}/v1`, api_key: key });
    await addCustomModel(first.core, actor, {
      workspaceId,
      provider: 'openai-compatible',
      model: { name: 'shared', type: 'llm' },
      credential: { name: 'one', values: values('sk-test-instance-one') },
    });
    await addCustomModel(first.core, actor, {
      workspaceId,
      provider: 'openai-compatible',
      model: { name: 'shared', type: 'llm' },
      credential: { name: 'two', values: values('sk-test-instance-two') },
    });
    apiKey = (await createApiKey(first.core, actor, { workspaceId: workspaceId, name: 'instances' })).key;
  });
  afterAll(async () => {
    await first?.stop();
    await second?.stop();
    await upstream?.close();
  });

  const answeredBy = async (server: RunningServer) => {
    const response = await chat(server, 'openai-compatible/shared');
    expect(response.status).toBe(200);
    const body = (await response.json()) as { choices: { message: { content: string } }[] };
    return body.choices[0]?.message.content;
  };

  async function eventually(check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 1_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('the other instance did not follow within a second');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  it('uses on one instance a key switched on the other, within a second', async () => {
    expect(await answeredBy(second)).toBe('sk-test-instance-one');
    const credentials = await listCredentials(first.core, actor, {
      workspaceId,
      provider: 'openai-compatible',
      model: { name: 'shared', type: 'llm' },
    });
    const two = credentials.find((credential) => credential.name === 'two');
    if (!two) throw new Error('credential two missing');
    await activateCredential(first.core, actor, { workspaceId, credentialId: two.id });
    await eventually(async () => (await answeredBy(second)) === 'sk-test-instance-two');
  });

  it('honours on one instance a cooldown started on the other, within a second', async () => {
    const extra = await createCredential(first.core, actor, {
      workspaceId,
      provider: 'openai-compatible',
      model: { name: 'shared', type: 'llm' },
      name: 'three',
      values: { base_url: `${upstream.url}/v1`, api_key: 'sk-test-instance-three' },
    });
    await activateCredential(first.core, actor, { workspaceId, credentialId: extra.id });
    await eventually(async () => (await answeredBy(second)) === 'sk-test-instance-three');
    rateLimitedKeys.add('sk-test-instance-three');
    const limited = await chat(first, 'openai-compatible/shared');
    expect(limited.status).toBe(429);
    const before = upstream.requests.length;
    // The second instance learns of the cooldown and answers without calling the resting key.
    await eventually(async () => {
      const response = await chat(second, 'openai-compatible/shared');
      return response.status === 503 || response.status === 429;
    });
    const afterwards = upstream.requests
      .slice(before)
      .filter((request) => request.path === '/v1/chat/completions');
    expect(afterwards.length).toBeLessThanOrEqual(1);
    rateLimitedKeys.clear();
  });

  it('drops on one instance a key removed on the other, within a second', async () => {
    const credentials = await listCredentials(first.core, actor, {
      workspaceId,
      provider: 'openai-compatible',
      model: { name: 'shared', type: 'llm' },
    });
    const three = credentials.find((credential) => credential.name === 'three');
    const one = credentials.find((credential) => credential.name === 'one');
    if (!three || !one) throw new Error('credentials missing');
    await activateCredential(first.core, actor, { workspaceId, credentialId: one.id });
    await removeCredential(first.core, actor, { workspaceId, credentialId: three.id });
    await eventually(async () => (await answeredBy(second)) === 'sk-test-instance-one');
  });

  it('keeps weighted round robin fair across both instances', async () => {
    const model = { name: 'shared', type: 'llm' as const };
    const credentials = await listCredentials(first.core, actor, {
      workspaceId,
      provider: 'openai-compatible',
      model,
    });
    await setLoadBalancing(first.core, actor, {
      workspaceId,
      provider: 'openai-compatible',
      model,
      enabled: true,
      credentials: credentials.map((credential) => ({ credentialId: credential.id, weight: 1 })),
    });
    // Balancing has reached the other instance once two calls in a row use different keys.
    await eventually(async () => {
      const firstKey = await answeredBy(second);
      const nextKey = await answeredBy(second);
      return firstKey !== nextKey;
    });
    const counts = new Map<string, number>();
    for (let i = 0; i < 20; i++) {
      const key = (await answeredBy(i % 2 === 0 ? first : second)) ?? '';
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(['sk-test-instance-one', 'sk-test-instance-two']);
    for (const count of counts.values()) expect(count).toBeGreaterThanOrEqual(8);
  });
});
