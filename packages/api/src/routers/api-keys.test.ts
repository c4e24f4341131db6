import type { Core } from '@switchboard/core';
import { ENGINES } from '@switchboard/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCore, realAdapters } from '@switchboard/core/testing';
import {
  type callerFor,
  expectFieldErrors,
  expectTRPCError,
  memberCaller,
  setupWorkspace,
} from '../../test/accounts-support.ts';

type Caller = ReturnType<typeof callerFor>['caller'];

describe.each(ENGINES)('apiKeys router: limits and the editors policy on %s', (engine) => {
  let core: Core;
  let owner: Caller;
  let editor: Caller;
  let member: Caller;
  let workspaceId: string;
  beforeAll(async () => {
    core = await createTestCore(engine, { providers: realAdapters() });
    const setup = await setupWorkspace(core);
    owner = setup.owner;
    workspaceId = setup.workspace.id;
    editor = (await memberCaller(core, owner, workspaceId, 'editor')).caller;
    member = (await memberCaller(core, owner, workspaceId, 'member')).caller;
  });
  afterAll(() => core.close());

  it('creates, updates and lists a key with its limits and current use', async () => {
    const created = await owner.apiKeys.create({
      workspaceId,
      name: 'reports',
      models: ['openai/*'],
      requestsPerMinute: 120,
      monthlyBudget: 40,
    });
    expect(created.key).toMatch(/^sbk_/);
    expect(created.view.limits).toEqual({
      models: ['openai/*'],
      credentials: {},
      requestsPerMinute: 120,
      tokensPerMinute: null,
      monthlyBudget: 40,
    });
    const updated = await owner.apiKeys.update({
      workspaceId,
      apiKeyId: created.view.id,
      version: created.view.version,
      tokensPerMinute: 20_000,
      monthlyBudget: null,
    });
    expect(updated.limits).toMatchObject({
      requestsPerMinute: 120,
      tokensPerMinute: 20_000,
      monthlyBudget: null,
    });
    const listed = (await member.apiKeys.list({ workspaceId })).find((key) => key.id === created.view.id);
    expect(listed?.limits.tokensPerMinute).toBe(20_000);
    expect(listed?.usage).toEqual({ requestsThisMinute: 0, tokensThisMinute: 0, spendThisMonth: 0 });
    expect(JSON.stringify(listed)).not.toContain(created.key);
    await expectTRPCError(
      owner.apiKeys.update({
        workspaceId,
        apiKeyId: created.view.id,
        version: created.view.version,
        name: 'x',
      }),
      'CONFLICT',
    );
  });

  it('names each bad field, from the types or from core', async () => {
    expect(
      await expectFieldErrors(
        owner.apiKeys.create({ workspaceId, name: 'x', requestsPerMinute: 'fast' as unknown as number }),
      ),
    ).toEqual(['requestsPerMinute']);
    expect(
      await expectFieldErrors(
        owner.apiKeys.create({ workspaceId, name: 'x', models: ['gpt-4o'], tokensPerMinute: 0 }),
      ),
    ).toEqual(['models[0]', 'tokensPerMinute']);
    expect(await expectFieldErrors(owner.apiKeys.setPolicy({ workspaceId, maxMonthlyBudget: 0 }))).toEqual([
      'maxMonthlyBudget',
    ]);
  });

  it('lets editors manage their own keys within the policy; members only read', async () => {
    await expectTRPCError(editor.apiKeys.setPolicy({ workspaceId, maxRequestsPerMinute: 10 }), 'FORBIDDEN');
    const policy = await owner.apiKeys.setPolicy({
      workspaceId,
      models: ['openai/*'],
      maxRequestsPerMinute: 10,
    });
    expect(await member.apiKeys.policy({ workspaceId })).toEqual(policy);
    expect(
      await expectFieldErrors(
        editor.apiKeys.create({ workspaceId, name: 'too much', requestsPerMinute: 50 }),
      ),
    ).toEqual(['models', 'requestsPerMinute']);
    const own = await editor.apiKeys.create({
      workspaceId,
      name: 'editor app',
      models: ['openai/gpt-4o-mini'],
      requestsPerMinute: 10,
    });
    const changed = await editor.apiKeys.update({ workspaceId, apiKeyId: own.view.id, requestsPerMinute: 5 });
    expect(changed.limits.requestsPerMinute).toBe(5);
    const others = await owner.apiKeys.create({ workspaceId, name: 'owner app' });
    await expectTRPCError(
      editor.apiKeys.update({ workspaceId, apiKeyId: others.view.id, requestsPerMinute: 1 }),
      'FORBIDDEN',
    );
    await expectTRPCError(member.apiKeys.create({ workspaceId, name: 'mine' }), 'FORBIDDEN');
    await expectTRPCError(
      member.apiKeys.update({ workspaceId, apiKeyId: own.view.id, requestsPerMinute: 1 }),
      'FORBIDDEN',
    );
    await expectTRPCError(member.apiKeys.setPolicy({ workspaceId }), 'FORBIDDEN');
    expect((await editor.apiKeys.revoke({ workspaceId, apiKeyId: own.view.id })).revokedAt).not.toBeNull();
  });
});
