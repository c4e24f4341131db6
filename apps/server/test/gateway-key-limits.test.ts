import Anthropic from '@anthropic-ai/sdk';
import {
  type Actor,
  addCustomModel,
  createApiKey,
  createCredential,
  installProvider,
  listApiKeys,
  setupFirstOwner,
  startCooldown,
} from '@switchboard/core';
import { ENGINES, type FakeUpstream, startFakeUpstream } from '@switchboard/test-utils';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import {
  completion,
  type GatewayFixture,
  KEY_A,
  KEY_B,
  keyOf,
  startGatewayFixture,
} from './gateway-fixture.ts';
import { startServerPair } from './helpers.ts';

const MODEL = 'openai-compatible/local-model';
const EMBED = 'openai-compatible/local-embed';
const OPENAI_KEY = 'sk-test-fake-openai-priced';
const KEY_C = 'sk-test-gateway-key-c';

/** A time on 2026-12-07, UTC: the limits' clock is set, so no test waits for a minute to turn. */
const at = (time: string) => {
  const [hours, minutes, seconds] = time.split(':').map(Number) as [number, number, number];
  return new Date(Date.UTC(2026, 11, 7, hours, minutes, 0) + Math.round(seconds * 1000));
};

/** The rejection of `call`, or a failure when it succeeded. */
async function rejection(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => expect.unreachable('the call should have been refused'),
    (error: unknown) => error,
  );
}

describe.each(ENGINES)('API key limits at the gateway on %s', (engine) => {
  let fixture: GatewayFixture;
  let actor: Actor;
  const clients = (key: string) => ({
    openai: new OpenAI({ baseURL: `${fixture.server.url}/v1`, apiKey: key, maxRetries: 0, timeout: 10_000 }),
    anthropic: new Anthropic({ baseURL: fixture.server.url, apiKey: key, maxRetries: 0, timeout: 10_000 }),
  });
  const newKey = async (name: string, limits: Record<string, unknown>) =>
    (await createApiKey(fixture.server.core, actor, { workspaceId: fixture.workspaceId, name, ...limits }))
      .key;
  const chat = (openai: OpenAI, model = MODEL) =>
    openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }] });
  const message = (anthropic: Anthropic, model = MODEL) =>
    anthropic.messages.create({ model, max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }] });

  /** The time the limits count by (each test sets it; a fresh key per test starts from zero). */
  let now = at('14:00:10');

  beforeAll(async () => {
    fixture = await startGatewayFixture(engine);
    fixture.server.core.limitClock = () => now;
    actor = fixture.actor;
  });
  afterAll(() => fixture.close());

  it('answers 429 with Retry-After and rate_limit_exceeded on every endpoint once the requests are used', async () => {
    now = at('14:00:10');
    const { openai, anthropic } = clients(await newKey('four a minute', { requestsPerMinute: 4 }));
    await chat(openai);
    await openai.embeddings.create({ model: EMBED, input: 'a' });
    await openai.responses.create({ model: MODEL, input: 'Hi' });
    await message(anthropic);

    // One at a time: a refusal that arrives before its turn to be awaited would be unhandled.
    for (const call of [
      () => chat(openai),
      () => openai.embeddings.create({ model: EMBED, input: 'a' }),
      () => openai.responses.create({ model: MODEL, input: 'Hi' }),
    ]) {
      const error = await rejection(call());
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      const refused = error as InstanceType<typeof OpenAI.RateLimitError>;
      expect(refused.code).toBe('rate_limit_exceeded');
      expect(refused.type).toBe('requests');
      // Four calls at 14:00:10 weigh fully until 14:01:00, then fade: under four from 14:01:00.001.
      expect(refused.headers?.get('retry-after')).toBe('51');
    }
    // Counting tokens is a request of the key too.
    const countError = await rejection(
      anthropic.messages.countTokens({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }] }),
    );
    expect(countError).toBeInstanceOf(Anthropic.RateLimitError);
    const anthropicError = await rejection(message(anthropic));
    expect(anthropicError).toBeInstanceOf(Anthropic.RateLimitError);
    const refused = anthropicError as InstanceType<typeof Anthropic.RateLimitError>;
    expect((refused.error as { error: { type: string } }).error.type).toBe('rate_limit_error');
    expect(refused.headers?.get('retry-after')).toMatch(/^\d+$/);
  });

  it('counts a token count as a request of the key', async () => {
    now = at('14:50:10');
    const { anthropic } = clients(await newKey('two a minute', { requestsPerMinute: 2 }));
    const count = () =>
      anthropic.messages.countTokens({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }] });
    expect((await count()).input_tokens).toBeGreaterThan(0);
    await message(anthropic);
    expect(await rejection(count())).toBeInstanceOf(Anthropic.RateLimitError);
  });

  it('counts tokens per minute from usage and refuses once they are spent', async () => {
    now = at('14:00:10');
    // Each answer of the upstream uses 17 tokens: the second call starts under 20, the third does not.
    const { openai } = clients(await newKey('twenty tokens', { tokensPerMinute: 20 }));
    await chat(openai);
    await chat(openai);
    const error = (await rejection(chat(openai))) as InstanceType<typeof OpenAI.RateLimitError>;
    expect(error.status).toBe(429);
    expect(error.code).toBe('tokens_per_minute_exceeded');
    expect(error.headers?.get('retry-after')).toMatch(/^\d+$/);
  });

  it('admits exactly the limit of a burst sent at once, and counts its tokens with no call after it', async () => {
    now = at('14:40:10');
    const name = 'five of a burst';
    const { openai } = clients(await newKey(name, { requestsPerMinute: 5, tokensPerMinute: 10_000 }));
    // A first call rolls the key's row into this minute; the burst then arrives in one turn of
    // the event loop and is admitted together only if all of it fits, else call by call.
    await chat(openai);
    const answers = await Promise.allSettled(Array.from({ length: 12 }, () => chat(openai)));
    expect(answers.filter((answer) => answer.status === 'fulfilled')).toHaveLength(4);
    for (const answer of answers)
      if (answer.status === 'rejected') expect((answer.reason as { status?: number }).status).toBe(429);
    // Five answers of 17 tokens each: written by the gateway soon, though no call carries them.
    const usage = async () =>
      (await listApiKeys(fixture.server.core, actor, { workspaceId: fixture.workspaceId })).find(
        (key) => key.name === name,
      )?.usage;
    await expect.poll(usage).toEqual({ requestsThisMinute: 5, tokensThisMinute: 85, spendThisMonth: 0 });
  });

  it('judges a sliding minute: three calls at the end of a minute leave room for one at the start of the next', async () => {
    const key = await newKey('three a minute', { requestsPerMinute: 3 });
    const { openai } = clients(key);
    const usage = async () =>
      (await listApiKeys(fixture.server.core, actor, { workspaceId: fixture.workspaceId })).find(
        (listed) => listed.name === 'three a minute',
      )?.usage?.requestsThisMinute;
    now = at('14:00:59.5');
    for (let i = 0; i < 3; i++) await chat(openai);
    now = at('14:01:00.5');
    // 3 x 59.5/60 = 2.975 in the last minute: one more fits, then none.
    expect(await usage()).toBe(2);
    await chat(openai);
    expect(await usage()).toBe(3);
    const error = (await rejection(chat(openai))) as InstanceType<typeof OpenAI.RateLimitError>;
    expect(error.code).toBe('rate_limit_exceeded');
    // 3 x (1 - f) + 1 < 3 once f > 1/3, at 14:01:20.001: 19.501 s, rounded up.
    expect(error.headers?.get('retry-after')).toBe('20');
    now = at('14:01:19.5');
    expect(await rejection(chat(openai))).toBeInstanceOf(OpenAI.RateLimitError);
    expect(await usage()).toBe(3);
    now = at('14:01:20.5');
    expect(await usage()).toBe(2);
    await chat(openai);
  });

  it('refuses a model outside the key with 403 model_not_allowed, and lists only its models', async () => {
    const { openai, anthropic } = clients(await newKey('embeddings only', { models: [EMBED] }));
    fixture.upstream.requests.length = 0;
    expect((await openai.embeddings.create({ model: EMBED, input: 'a' })).data).toHaveLength(1);
    for (const model of [MODEL, 'local-model', 'default']) {
      const error = (await rejection(chat(openai, model))) as InstanceType<
        typeof OpenAI.PermissionDeniedError
      >;
      expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
      expect(error.code).toBe('model_not_allowed');
      expect(error.param).toBe('model');
    }
    expect(await rejection(message(anthropic))).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(
      await rejection(
        anthropic.messages.countTokens({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }] }),
      ),
    ).toBeInstanceOf(Anthropic.PermissionDeniedError);
    const listed = [];
    for await (const model of openai.models.list()) listed.push(model.id);
    expect(listed).toEqual([EMBED]);
    // Refused before any provider call.
    expect(fixture.upstream.requests.filter((request) => request.path === '/v1/chat/completions')).toEqual(
      [],
    );
    const upstreamChats = fixture.upstream.requests.filter(
      (request) => request.path === '/v1/chat/completions',
    );
    expect(upstreamChats.every((request) => keyOf(request) !== 'never')).toBe(true);
  });

  it('uses the pinned credential for the provider, whichever key the model would choose', async () => {
    const pinned = await createCredential(fixture.server.core, actor, {
      workspaceId: fixture.workspaceId,
      provider: 'openai-compatible',
      name: 'billing-b',
      values: { base_url: `${fixture.upstream.url}/v1`, api_key: KEY_B },
    });
    const pinnedKey = await newKey('bills account b', { credentials: { 'openai-compatible': pinned.id } });
    fixture.upstream.requests.length = 0;
    expect((await chat(clients(pinnedKey).openai)).choices[0]?.message.content).toBe(
      `answered with ${KEY_B}`,
    );
    expect((await chat(fixture.openai)).choices[0]?.message.content).toBe(`answered with ${KEY_A}`);
    const { anthropic } = clients(pinnedKey);
    await message(anthropic);
    const keys = fixture.upstream.requests
      .filter((request) => request.path === '/v1/chat/completions')
      .map(keyOf);
    expect(keys).toEqual([KEY_B, KEY_A, KEY_B]);
  });

  it("takes a pinned key's rest as stored, without opening the key again for any rest", async () => {
    const { core } = fixture.server;
    const limiter = fixture.server.gateway.keyLimiter;
    const credential = (name: string, key: string) =>
      createCredential(core, actor, {
        workspaceId: fixture.workspaceId,
        provider: 'openai-compatible',
        name,
        values: { base_url: `${fixture.upstream.url}/v1`, api_key: key },
      });
    const spare = await credential('spare', 'sk-test-gateway-key-spare');
    const pinned = await credential('billing-c', KEY_C);
    const { openai } = clients(
      await newKey('bills account c', { credentials: { 'openai-compatible': pinned.id } }),
    );
    expect((await chat(openai)).choices[0]?.message.content).toBe(`answered with ${KEY_C}`);
    const opened = limiter.pinsOpened;

    // Another key of the workspace rests, as under a 429 storm: the pinned key is not opened again
    // (each opening reads and decrypts it).
    const rest = (credentialId: string) =>
      startCooldown(core, {
        workspaceId: fixture.workspaceId,
        credentialId,
        until: new Date(Date.now() + 60_000),
        reason: 'rate limited',
      });
    await rest(spare.id);
    expect((await chat(openai)).choices[0]?.message.content).toBe(`answered with ${KEY_C}`);
    expect(limiter.pinsOpened).toBe(opened);

    // The pinned key itself rests (another instance saw its 429): its calls are refused here too,
    // without reaching the provider, and still without opening it again.
    const takenAsWritten = limiter.restsTakenAsWritten;
    await rest(pinned.id);
    // Stored by this process, so taken as written rather than read back.
    expect(limiter.restsTakenAsWritten).toBe(takenAsWritten + 1);
    const refusal = async () => {
      const error = await chat(openai).then(
        () => null,
        (caught: unknown) => caught,
      );
      return error instanceof OpenAI.APIError ? error.status : 200;
    };
    await expect.poll(refusal, { timeout: 5_000 }).toBe(503);
    const sentWithC = () => fixture.upstream.requests.filter((request) => keyOf(request) === KEY_C).length;
    const before = sentWithC();
    expect(await refusal()).toBe(503);
    expect(sentWithC()).toBe(before);
    expect(limiter.pinsOpened).toBe(opened);

    // Another instance ends the rest: its row changes and its notice arrives from outside, so the
    // rest is read back, and the pinned key answers again.
    await core.db
      .updateTable('credential_cooldowns')
      .set({ until: new Date(Date.now() - 1_000).toISOString() })
      .where('credential_id', '=', pinned.id)
      .execute();
    core.changes.deliver({
      workspaceId: fixture.workspaceId,
      kind: 'cooldown',
      id: pinned.id,
      action: 'cooldown.end',
      at: new Date().toISOString(),
    });
    await expect.poll(refusal, { timeout: 5_000 }).toBe(200);
    expect(limiter.restsTakenAsWritten).toBe(takenAsWritten + 1);
    expect(limiter.pinsOpened).toBe(opened);
  });

  it('counts spend from usage x catalog price and refuses with budget_exceeded over the budget', async () => {
    await installProvider(fixture.server.core, actor, {
      workspaceId: fixture.workspaceId,
      provider: 'openai',
    });
    await createCredential(fixture.server.core, actor, {
      workspaceId: fixture.workspaceId,
      provider: 'openai',
      name: 'priced',
      values: { base_url: `${fixture.upstream.url}/v1`, api_key: OPENAI_KEY },
    });
    // A million input tokens of gpt-4o-mini at 0.15 USD per million, and a million output at 0.60.
    fixture.chatBehaviour.set(OPENAI_KEY, (request, response) => {
      const answer = completion((request.json() as { model: string }).model, 'expensive');
      answer.usage = { prompt_tokens: 1_000_000, completion_tokens: 1_000_000, total_tokens: 2_000_000 };
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answer));
    });
    const { openai } = clients(await newKey('one dollar', { monthlyBudget: 1 }));
    await chat(openai, 'openai/gpt-4o-mini');
    const spend = async () =>
      (await listApiKeys(fixture.server.core, actor, { workspaceId: fixture.workspaceId })).find(
        (key) => key.name === 'one dollar',
      )?.usage?.spendThisMonth;
    // Spend is added once the call has ended, off the answer's path: read until it is there.
    await expect.poll(spend).toBeCloseTo(0.75, 9);
    await chat(openai, 'openai/gpt-4o-mini');
    await expect.poll(spend).toBeCloseTo(1.5, 9);
    const error = (await rejection(chat(openai, 'openai/gpt-4o-mini'))) as InstanceType<
      typeof OpenAI.RateLimitError
    >;
    expect(error.status).toBe(429);
    expect(error.code).toBe('budget_exceeded');
    expect(error.type).toBe('insufficient_quota');
    // Until the next month: more than a minute away unless the month ends now.
    expect(Number(error.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });
});

// Two servers (two Cores, two HTTP servers) on one database share one key's limit: PostgreSQL, and
// a SQLite file, where the two connections take turns at SQLite's write lock (decision 0022).
describe.each(ENGINES)('API key limits shared by two gateway instances on %s', (engine) => {
  let upstream: FakeUpstream;
  let first: RunningServer;
  let second: RunningServer;
  let apiKey: string;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    upstream.route('GET', '/v1/models', { json: { object: 'list', data: [] } });
    upstream.route('POST', '/v1/chat/completions', (request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(completion('shared', keyOf(request))));
    });
    [first, second] = await startServerPair(engine);
    const setup = await setupFirstOwner(first.core, {
      email: 'limits@example.test',
      password: 'long enough pass',
      workspaceName: 'Limits',
    });
    const actor: Actor = { kind: 'user', userId: setup.user.id };
    const workspaceId = setup.workspace.id;
    await installProvider(first.core, actor, { workspaceId, provider: 'openai-compatible' });
    await addCustomModel(first.core, actor, {
      workspaceId,
      provider: 'openai-compatible',
      model: { name: 'shared', type: 'llm' },
      credential: {
        name: 'one',
        values: { base_url: `${upstream.url}/v1`, api_key: 'sk-test-fake-shared' },
      },
    });
    apiKey = (await createApiKey(first.core, actor, { workspaceId, name: 'shared', requestsPerMinute: 6 }))
      .key;
  });
  afterAll(async () => {
    await second?.stop();
    await first?.stop();
    await upstream?.close();
  });

  it('admits six calls between them, then both answer 429; a minute later, the sliding minute holds between them', async () => {
    let now = at('14:00:59.5');
    for (const server of [first, second]) server.core.limitClock = () => now;
    upstream.requests.length = 0;
    const client = (server: RunningServer) =>
      new OpenAI({ baseURL: `${server.url}/v1`, apiKey, maxRetries: 0, timeout: 10_000 });
    const calls = await Promise.allSettled(
      Array.from({ length: 16 }, (_, index) =>
        client(index % 2 === 0 ? first : second).chat.completions.create({
          model: 'openai-compatible/shared',
          messages: [{ role: 'user', content: 'Hi' }],
        }),
      ),
    );
    expect(calls.filter((call) => call.status === 'fulfilled')).toHaveLength(6);
    const refused = calls.flatMap((call) => (call.status === 'rejected' ? [call.reason] : []));
    expect(refused).toHaveLength(10);
    for (const error of refused) {
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect((error as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('rate_limit_exceeded');
    }
    for (const server of [first, second]) {
      const error = await rejection(
        client(server).chat.completions.create({
          model: 'openai-compatible/shared',
          messages: [{ role: 'user', content: 'Hi' }],
        }),
      );
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    }
    expect(upstream.requests.filter((request) => request.path === '/v1/chat/completions')).toHaveLength(6);

    // One second later, in the next minute: six weighted 59.5/60 leave room for one call between them.
    now = at('14:01:00.5');
    const next = await Promise.allSettled(
      Array.from({ length: 8 }, (_, index) =>
        client(index % 2 === 0 ? first : second).chat.completions.create({
          model: 'openai-compatible/shared',
          messages: [{ role: 'user', content: 'Hi' }],
        }),
      ),
    );
    expect(next.filter((call) => call.status === 'fulfilled')).toHaveLength(1);
    expect(upstream.requests.filter((request) => request.path === '/v1/chat/completions')).toHaveLength(7);
  });
});
