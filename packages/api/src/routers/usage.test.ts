import { type Core, createApiKey, requireMember, setupFirstOwner, UsageRecorder } from '@switchboard/core';
import { ENGINES } from '@switchboard/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCore } from '@switchboard/core/testing';
import { createInnerContext } from '../context.ts';
import { appRouter } from '../router.ts';

describe.each(ENGINES)('usage.summary on %s', (engine) => {
  let core: Core;
  let ownerId: string;
  let workspaceId: string;

  beforeAll(async () => {
    core = await createTestCore(engine);
    const setup = await setupFirstOwner(core, {
      email: 'usage@example.test',
      password: 'long password 1',
      workspaceName: 'U',
    });
    ownerId = setup.user.id;
    workspaceId = setup.workspace.id;
    const { view } = await createApiKey(core, { kind: 'user', userId: ownerId }, { workspaceId, name: 'ci' });
    const recorder = new UsageRecorder(core, { intervalMs: 60_000 });
    const base = {
      workspaceId,
      apiKeyId: view.id,
      userId: null,
      provider: 'openai',
      model: 'gpt-4o-mini',
      modelType: 'llm' as const,
      credentialId: null,
      latencyMs: 120,
      ttfbMs: 40,
      status: 200,
    };
    recorder.record({
      ...base,
      tokensIn: 1_000_000,
      tokensOut: 0,
      outcome: 'ok',
      at: new Date('2026-11-02T10:00:00Z'),
    });
    recorder.record({
      ...base,
      tokensIn: 0,
      tokensOut: 1_000_000,
      outcome: 'ok',
      at: new Date('2026-11-03T10:00:00Z'),
    });
    recorder.record({
      ...base,
      tokensIn: 10,
      tokensOut: 0,
      outcome: 'rate_limited',
      status: 429,
      at: new Date('2026-11-03T11:00:00Z'),
    });
    await recorder.close();
  });
  afterAll(() => core.close());

  it('sums calls, errors, tokens and the estimated cost by day, model and API key', async () => {
    const caller = appRouter.createCaller(
      createInnerContext({ core, auth: { userId: ownerId, via: 'token' } }),
    );
    const summary = await caller.usage.summary({
      workspaceId,
      from: '2026-11-01T00:00:00Z',
      to: '2026-11-30T00:00:00Z',
    });
    expect(summary.total).toMatchObject({ calls: 3, errors: 1, tokensIn: 1_000_010, tokensOut: 1_000_000 });
    expect(summary.byDay.map((day) => [day.day, day.calls])).toEqual([
      ['2026-11-02', 1],
      ['2026-11-03', 2],
    ]);
    expect(summary.byApiKey[0]?.apiKeyName).toBe('ci');
    // With published prices the estimate is input + output per million; without, null.
    const pricing = core.providers
      .get('openai')
      ?.manifest.models.find((model) => model.id === 'gpt-4o-mini')?.pricing;
    if (pricing) expect(summary.total.estimatedCostUsd).toBeGreaterThan(0);
    else expect(summary.total.estimatedCostUsd).toBeNull();
  });

  it('is for owners and admins only, and names a bad date', async () => {
    const caller = appRouter.createCaller(
      createInnerContext({ core, auth: { userId: ownerId, via: 'token' } }),
    );
    await expect(caller.usage.summary({ workspaceId, from: 'last tuesday' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    const stranger = appRouter.createCaller(
      createInnerContext({ core, auth: { userId: 'usr_nobody', via: 'token' } }),
    );
    await expect(stranger.usage.summary({ workspaceId })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await requireMember(core.db, ownerId, workspaceId)).toMatchObject({ role: 'owner' });
  });
});
