import { ENGINES } from '@switchboard/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realAdapters } from '../../test/provider-kit.ts';
import { createTestCore, createTestCoreOn, freshTestTarget } from '../../test/test-core.ts';
import type { Core } from '../core.ts';
import { newId, nowIso } from '../ids.ts';
import { addApiKeySpend, admitApiKeyCall, admitApiKeyCalls } from './api-key-counters.ts';
import { compileLimits, toNanos } from './api-key-limits.ts';
import { getApiKeyPolicy, setApiKeyPolicy } from './api-key-policy.ts';
import { createApiKey, listApiKeys, revokeApiKey, updateApiKey } from './api-keys.ts';
import { authenticateApiKey } from './auth.ts';
import {
  countRows,
  expectCoreError,
  memberWithRole,
  setupOwner,
  stranger,
  type TestMember,
} from './test-support.ts';

/** A provider-level credential row of `provider` (pins only need it to exist). */
async function addCredential(
  core: Core,
  workspaceId: string,
  provider: string,
  name: string,
): Promise<string> {
  const id = newId('crd');
  const now = nowIso();
  await core.db
    .insertInto('provider_credentials')
    .values({
      id,
      workspace_id: workspaceId,
      provider,
      scope: '',
      model: null,
      model_type: null,
      name,
      plain_values: '{}',
      sealed_values: '{}',
      masked_values: '{}',
      is_active: 0,
      status: 'valid',
      status_reason: null,
      validated_at: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return id;
}

describe.each(ENGINES)('API key limits on %s', (engine) => {
  let core: Core;
  let owner: TestMember;
  let workspaceId: string;
  beforeAll(async () => {
    core = await createTestCore(engine, { providers: realAdapters() });
    const setup = await setupOwner(core);
    owner = {
      kind: 'user',
      userId: setup.user.id,
      workspaceId: setup.workspace.id,
      memberId: '',
      role: 'owner',
    };
    workspaceId = setup.workspace.id;
  });
  afterAll(() => core.close());

  it('creates a key with models, a pinned credential and limits, and shows them to the gateway', async () => {
    const credentialId = await addCredential(core, workspaceId, 'openai', 'billing-a');
    const { key, view } = await createApiKey(core, owner, {
      workspaceId,
      name: 'support bot',
      models: ['openai/gpt-4o', 'anthropic/*'],
      credentials: { openai: credentialId },
      requestsPerMinute: 60,
      tokensPerMinute: 100_000,
      monthlyBudget: 25.5,
    });
    const limits = {
      models: ['openai/gpt-4o', 'anthropic/*'],
      credentials: { openai: credentialId },
      requestsPerMinute: 60,
      tokensPerMinute: 100_000,
      monthlyBudget: 25.5,
    };
    expect(view.limits).toEqual(limits);
    expect(view.usage).toEqual({ requestsThisMinute: 0, tokensThisMinute: 0, spendThisMonth: 0 });
    expect(await authenticateApiKey(core, key)).toMatchObject({ apiKeyId: view.id, limits });
    const plain = await createApiKey(core, owner, { workspaceId, name: 'no limits' });
    expect(plain.view.limits).toEqual({
      models: null,
      credentials: {},
      requestsPerMinute: null,
      tokensPerMinute: null,
      monthlyBudget: null,
    });
    expect(plain.view.usage).toBeNull();
  });

  it('names every bad field and writes nothing', async () => {
    const other = await stranger(core);
    const foreignCredential = await addCredential(core, other.workspaceId, 'anthropic', 'theirs');
    const before = await countRows(core, 'api_keys');
    const error = await expectCoreError(
      createApiKey(core, owner, {
        workspaceId,
        name: ' ',
        models: ['gpt-4o', 'nope/*', 'openai/gpt-4o'],
        credentials: { openai: 'cred_missing', nope: 'x', anthropic: foreignCredential },
        requestsPerMinute: 0,
        tokensPerMinute: 1.5,
        monthlyBudget: -1,
      }),
      'BAD_REQUEST',
    );
    expect(Object.keys(error.fieldErrors ?? {}).sort()).toEqual([
      'credentials.anthropic',
      'credentials.nope',
      'credentials.openai',
      'models[0]',
      'models[1]',
      'monthlyBudget',
      'name',
      'requestsPerMinute',
      'tokensPerMinute',
    ]);
    expect(error.message).toContain('requestsPerMinute: must be a whole number of requests from 1 to');
    await expectCoreError(createApiKey(core, owner, { workspaceId, name: 'x', models: [] }), 'BAD_REQUEST');
    expect(await countRows(core, 'api_keys')).toBe(before);
  });

  it('updates limits (null removes one, left out keeps it), checks the version, refuses revoked keys', async () => {
    const { view } = await createApiKey(core, owner, { workspaceId, name: 'batch', requestsPerMinute: 10 });
    const updated = await updateApiKey(core, owner, {
      workspaceId,
      apiKeyId: view.id,
      version: view.version,
      tokensPerMinute: 5000,
      models: ['openai/*'],
    });
    expect(updated.limits).toMatchObject({
      requestsPerMinute: 10,
      tokensPerMinute: 5000,
      models: ['openai/*'],
    });
    expect(updated.version).toBe(view.version + 1);
    await expectCoreError(
      updateApiKey(core, owner, { workspaceId, apiKeyId: view.id, version: view.version, name: 'late' }),
      'CONFLICT',
    );
    const cleared = await updateApiKey(core, owner, {
      workspaceId,
      apiKeyId: view.id,
      requestsPerMinute: null,
      tokensPerMinute: null,
      models: null,
      name: 'batch jobs',
    });
    expect(cleared.name).toBe('batch jobs');
    expect(cleared.limits.requestsPerMinute).toBeNull();
    expect(cleared.usage).toBeNull();
    const bad = await expectCoreError(
      updateApiKey(core, owner, { workspaceId, apiKeyId: view.id, monthlyBudget: 'lots' as never }),
      'BAD_REQUEST',
    );
    expect(Object.keys(bad.fieldErrors ?? {})).toEqual(['monthlyBudget']);
    await revokeApiKey(core, owner, { workspaceId, apiKeyId: view.id });
    await expectCoreError(
      updateApiKey(core, owner, { workspaceId, apiKeyId: view.id, requestsPerMinute: 5 }),
      'BAD_REQUEST',
    );
  });

  it('holds editors to the admin policy and to their own keys; admins manage every key', async () => {
    const editor = await memberWithRole(core, owner, 'editor');
    const admin = await memberWithRole(core, owner, 'admin');
    const member = await memberWithRole(core, owner, 'member');
    expect(await getApiKeyPolicy(core, member, { workspaceId })).toMatchObject({ models: null, version: 0 });
    await expectCoreError(
      setApiKeyPolicy(core, editor, { workspaceId, maxRequestsPerMinute: 5 }),
      'FORBIDDEN',
    );
    const policy = await setApiKeyPolicy(core, admin, {
      workspaceId,
      models: ['openai/*', 'anthropic/claude-3-5-haiku-latest'],
      maxRequestsPerMinute: 30,
      maxMonthlyBudget: 10,
      version: 0,
    });
    expect(policy).toEqual({
      models: ['openai/*', 'anthropic/claude-3-5-haiku-latest'],
      maxRequestsPerMinute: 30,
      maxTokensPerMinute: null,
      maxMonthlyBudget: 10,
      version: 1,
    });
    await expectCoreError(setApiKeyPolicy(core, admin, { workspaceId, version: 0 }), 'CONFLICT');

    const refused = await expectCoreError(
      createApiKey(core, editor, {
        workspaceId,
        name: 'wide',
        models: ['openai/gpt-4o', 'anthropic/*'],
        requestsPerMinute: 100,
      }),
      'BAD_REQUEST',
    );
    expect(refused.fieldErrors).toEqual({
      models: [
        'anthropic/* outside what editors may use: openai/*, anthropic/claude-3-5-haiku-latest (workspace API key policy)',
      ],
      requestsPerMinute: [
        "editors' keys need a requests-per-minute limit of at most 30 (workspace API key policy)",
      ],
      monthlyBudget: ["editors' keys need a monthly budget (USD) of at most 10 (workspace API key policy)"],
    });
    const { view } = await createApiKey(core, editor, {
      workspaceId,
      name: 'within',
      models: ['openai/gpt-4o-mini'],
      requestsPerMinute: 30,
      monthlyBudget: 5,
    });
    await expectCoreError(
      updateApiKey(core, editor, { workspaceId, apiKeyId: view.id, monthlyBudget: null }),
      'BAD_REQUEST',
    );
    // Admins are not held to the policy, and change editors' keys.
    const widened = await updateApiKey(core, admin, {
      workspaceId,
      apiKeyId: view.id,
      requestsPerMinute: 500,
    });
    expect(widened.limits.requestsPerMinute).toBe(500);
    const adminsKey = await createApiKey(core, admin, { workspaceId, name: 'admin app' });
    await expectCoreError(
      updateApiKey(core, editor, { workspaceId, apiKeyId: adminsKey.view.id, requestsPerMinute: 1 }),
      'FORBIDDEN',
    );
    await expectCoreError(
      updateApiKey(core, member, { workspaceId, apiKeyId: view.id, requestsPerMinute: 1 }),
      'FORBIDDEN',
    );
    await expectCoreError(createApiKey(core, member, { workspaceId, name: 'mine' }), 'FORBIDDEN');
    const listed = await listApiKeys(core, member, { workspaceId });
    expect(listed.map((key) => key.id)).toContain(view.id);
    await setApiKeyPolicy(core, admin, { workspaceId });
  });

  it('admits calls atomically up to the limit, names the limit hit, and shows the use', async () => {
    const { view } = await createApiKey(core, owner, {
      workspaceId,
      name: 'counted',
      requestsPerMinute: 5,
      tokensPerMinute: 1000,
      monthlyBudget: 1,
    });
    const limits = compileLimits(view.limits);
    const now = at('14:00:30');
    // Twenty calls at once: exactly five get through.
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => admitApiKeyCall(core.db, view.id, limits, now)),
    );
    expect(answers.filter((answer) => answer === null)).toHaveLength(5);
    const refusal = answers.find((answer) => answer !== null);
    expect(refusal).toMatchObject({ limit: 'requests', value: 5 });
    expect(refusal?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(refusal?.retryAfterSeconds).toBeLessThanOrEqual(60);
    await addApiKeySpend(core.db, view.id, 1200, toNanos(0.25), now);
    expect(await usageOf(view.id, now)).toEqual({
      requestsThisMinute: 5,
      tokensThisMinute: 1200,
      spendThisMonth: 0.25,
    });

    // Tokens are judged over the sliding minute too: 150 tokens at 14:00:30 weigh half at 14:01:30.
    const tokensKey = await createApiKey(core, owner, { workspaceId, name: 'tokens', tokensPerMinute: 100 });
    const tokenLimits = compileLimits(tokensKey.view.limits);
    expect(await admitApiKeyCall(core.db, tokensKey.view.id, tokenLimits, now)).toBeNull();
    await addApiKeySpend(core.db, tokensKey.view.id, 150, 0, now);
    expect(await admitApiKeyCall(core.db, tokensKey.view.id, tokenLimits, now)).toMatchObject({
      limit: 'tokens',
      // 150 x (1 - f) < 100 from a third into the next minute: 30 s + 20.001 s, rounded up.
      retryAfterSeconds: 51,
    });
    expect(await admitApiKeyCall(core.db, tokensKey.view.id, tokenLimits, at('14:01:10'))).toMatchObject({
      limit: 'tokens',
    });
    expect(await admitApiKeyCall(core.db, tokensKey.view.id, tokenLimits, at('14:01:30'))).toBeNull();

    await addApiKeySpend(core.db, view.id, 0, toNanos(0.8), now);
    const overBudget = await admitApiKeyCall(core.db, view.id, limits, at('14:02:30'));
    expect(overBudget).toMatchObject({ limit: 'budget', value: 1 });
    expect(overBudget?.retryAfterSeconds).toBeGreaterThan(0);
    expect(await admitApiKeyCall(core.db, view.id, limits, at('14:02:30', 2027, 0))).toBeNull();
  });

  it('admits calls together only when all fit, judging the spend carried with them, and writes nothing otherwise', async () => {
    const { view } = await createApiKey(core, owner, {
      workspaceId,
      name: 'together',
      requestsPerMinute: 5,
      tokensPerMinute: 100,
      monthlyBudget: 1,
    });
    const limits = compileLimits(view.limits);
    const now = at('14:30:30');
    // No row of this minute yet: the together path leaves the first call to the upsert.
    expect(await admitApiKeyCalls(core.db, view.id, limits, now, 2)).toBe(false);
    expect(await admitApiKeyCall(core.db, view.id, limits, now)).toBeNull();
    // Two more with 60 tokens and a quarter dollar carried: all fit, all written by one statement.
    expect(
      await admitApiKeyCalls(core.db, view.id, limits, now, 2, { tokens: 60, costNanos: toNanos(0.25) }),
    ).toBe(true);
    expect(await usageOf(view.id, now)).toEqual({
      requestsThisMinute: 3,
      tokensThisMinute: 60,
      spendThisMonth: 0.25,
    });
    // Three more would make six of five: refused together, nothing written, though two would fit.
    expect(await admitApiKeyCalls(core.db, view.id, limits, now, 3)).toBe(false);
    expect(await usageOf(view.id, now)).toMatchObject({ requestsThisMinute: 3 });
    // Carried tokens that reach the limit refuse the call they ride on, and are not written.
    expect(await admitApiKeyCalls(core.db, view.id, limits, now, 1, { tokens: 40, costNanos: 0 })).toBe(
      false,
    );
    // Nor does a carried cost that spends the budget.
    expect(
      await admitApiKeyCalls(core.db, view.id, limits, now, 1, { tokens: 0, costNanos: toNanos(0.75) }),
    ).toBe(false);
    expect(await usageOf(view.id, now)).toEqual({
      requestsThisMinute: 3,
      tokensThisMinute: 60,
      spendThisMonth: 0.25,
    });
    expect(await admitApiKeyCalls(core.db, view.id, limits, now, 2, { tokens: 39, costNanos: 0 })).toBe(true);
    expect(await usageOf(view.id, now)).toMatchObject({ requestsThisMinute: 5, tokensThisMinute: 99 });
  });

  it('judges a sliding minute: a full minute at its end leaves no second full minute at the start of the next', async () => {
    const { view } = await createApiKey(core, owner, { workspaceId, name: 'six', requestsPerMinute: 6 });
    const limits = compileLimits(view.limits);
    const admitted = async (time: Date, calls: number) =>
      (
        await Promise.all(
          Array.from({ length: calls }, () => admitApiKeyCall(core.db, view.id, limits, time)),
        )
      ).filter((answer) => answer === null).length;
    expect(await admitted(at('14:10:59'), 6)).toBe(6);
    // Two seconds later, in the next UTC minute: six in the last minute already (5.8 weighted).
    expect(await admitted(at('14:11:01'), 6)).toBe(1);
    expect(await usageOf(view.id, at('14:11:01'))).toMatchObject({ requestsThisMinute: 6 });
    // The previous minute's weight fades: one more every 10 s.
    expect(await usageOf(view.id, at('14:11:11'))).toMatchObject({ requestsThisMinute: 5 });
    expect(await admitted(at('14:11:11'), 3)).toBe(1);
  });

  it('answers Retry-After with the seconds until the call is admitted, and shows the use the gateway judges', async () => {
    const { view } = await createApiKey(core, owner, { workspaceId, name: 'ten', requestsPerMinute: 10 });
    const limits = compileLimits(view.limits);
    for (let i = 0; i < 10; i++)
      expect(await admitApiKeyCall(core.db, view.id, limits, at('14:20:45'))).toBeNull();
    for (const [time, expected] of [
      // Within the full minute: until the next one, and then until 10 x (1 - f) < 10.
      ['14:20:50', 11],
      // In the next minute: 10 x (1 - f) + 0 < 10 at once, then a tenth of the minute per call.
      ['14:21:00.500', 0],
    ] as const) {
      const refusal = await admitApiKeyCall(core.db, view.id, limits, at(time));
      if (expected === 0) {
        expect(refusal).toBeNull();
        continue;
      }
      expect(refusal).toMatchObject({ limit: 'requests', retryAfterSeconds: expected });
      const refusedAt = at(time).getTime();
      // Usage shown at the limit while refused, under it once admitted.
      expect((await usageOf(view.id, at(time)))?.requestsThisMinute).toBe(10);
      const early = new Date(refusedAt + (expected - 1) * 1000);
      expect(await admitApiKeyCall(core.db, view.id, limits, early)).toMatchObject({ limit: 'requests' });
      expect((await usageOf(view.id, early))?.requestsThisMinute).toBe(10);
    }
    // One admitted at 14:21:00.5 (10 x 0.99 + 1 = 10.9): the next needs 10 x (1 - f) + 1 < 10, f > 0.1.
    const refusal = await admitApiKeyCall(core.db, view.id, limits, at('14:21:01'));
    expect(refusal).toMatchObject({ limit: 'requests', retryAfterSeconds: 6 });
    expect(await admitApiKeyCall(core.db, view.id, limits, at('14:21:06'))).toMatchObject({
      limit: 'requests',
    });
    expect((await usageOf(view.id, at('14:21:06.001')))?.requestsThisMinute).toBe(9);
    expect(await admitApiKeyCall(core.db, view.id, limits, at('14:21:07'))).toBeNull();
  });

  /** A time on 2026-12-07 (or another month), UTC. */
  const at = (time: string, year = 2026, month = 11) => {
    const [hours, minutes, seconds] = time.split(':').map(Number) as [number, number, number];
    return new Date(Date.UTC(year, month, 7, hours, minutes, 0) + Math.round(seconds * 1000));
  };

  /** A key's usage as `apiKeys.list` shows it at `time`. */
  async function usageOf(apiKeyId: string, time: Date) {
    const clock = core.limitClock;
    core.limitClock = () => time;
    try {
      return (await listApiKeys(core, owner, { workspaceId })).find((key) => key.id === apiKeyId)?.usage;
    } finally {
      core.limitClock = clock;
    }
  }
});

describe.each(ENGINES)('API key counters shared by two instances on %s', (engine) => {
  it('never admits more than the limit between them', async () => {
    const target = await freshTestTarget(engine, { file: true });
    const first = await createTestCoreOn(target);
    const second = await createTestCoreOn(target);
    try {
      const setup = await setupOwner(first);
      const { view } = await createApiKey(
        first,
        { kind: 'system', label: 'cli' },
        { workspaceId: setup.workspace.id, name: 'shared', requestsPerMinute: 7 },
      );
      const limits = compileLimits(view.limits);
      const admitted = async (time: number) =>
        (
          await Promise.all(
            Array.from({ length: 30 }, (_, index) =>
              admitApiKeyCall((index % 2 === 0 ? first : second).db, view.id, limits, new Date(time)),
            ),
          )
        ).filter((answer) => answer === null).length;
      const minuteEnd = Date.UTC(2026, 11, 7, 14, 30, 59, 500);
      expect(await admitted(minuteEnd)).toBe(7);
      // One second later, in the next minute: 7 x 0.992 weighted, room for one more between them.
      expect(await admitted(minuteEnd + 1000)).toBe(1);
    } finally {
      await second.close();
      await first.close();
    }
  });
});
