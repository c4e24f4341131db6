import { type Core, createUser, inviteMember, renameWorkspace, setupFirstOwner } from '@switchboard/core';
import { ENGINES } from '@switchboard/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCore } from '@switchboard/core/testing';
import { createInnerContext } from '../context.ts';
import { appRouter } from '../router.ts';

// The console's audit page filters by who, what and when; its tokens page sets an expiry.

describe.each(ENGINES)('audit.list filters and tokens.create expiry on %s', (engine) => {
  let core: Core;
  let ownerId: string;
  let workspaceId: string;
  let startedAt: string;
  const caller = () =>
    appRouter.createCaller(
      createInnerContext({ core, auth: { userId: ownerId, via: 'session', sessionId: 's' } }),
    );

  beforeAll(async () => {
    core = await createTestCore(engine);
    const setup = await setupFirstOwner(core, {
      email: 'audit@example.test',
      password: 'long password 1',
      workspaceName: 'Before',
    });
    ownerId = setup.user.id;
    workspaceId = setup.workspace.id;
    const owner = { kind: 'user', userId: ownerId } as const;
    // A later millisecond than setup's entries, so `from` can tell them apart.
    await new Promise((resolve) => setTimeout(resolve, 5));
    startedAt = new Date().toISOString();
    await renameWorkspace(core, owner, { workspaceId, name: 'After', version: setup.workspace.version });
    await inviteMember(core, owner, { workspaceId, email: 'new@example.test', role: 'member' });
    // The operator's own action has no user behind it.
    await createUser(
      core,
      { kind: 'system', label: 'cli' },
      {
        email: 'other@example.test',
        password: 'another long password',
        name: 'Other',
      },
    );
  });
  afterAll(() => core.close());

  it('filters by action family, exact action, actor and time', async () => {
    const all = await caller().audit.list({ workspaceId });
    expect(all.entries.length).toBeGreaterThanOrEqual(3);

    const members = await caller().audit.list({ workspaceId, action: 'member' });
    expect(members.entries.map((entry) => entry.action)).toEqual(['member.invite', 'member.add']);
    const renames = await caller().audit.list({ workspaceId, action: 'workspace.rename' });
    expect(renames.entries.map((entry) => entry.details)).toEqual([expect.objectContaining({ to: 'After' })]);
    // A family is a whole dotted word: `work` is not `workspace`.
    expect((await caller().audit.list({ workspaceId, action: 'work' })).entries).toEqual([]);

    const mine = await caller().audit.list({ workspaceId, actorUserId: ownerId });
    expect(mine.entries.length).toBe(all.entries.length);
    expect((await caller().audit.list({ workspaceId, actorUserId: 'usr_nobody' })).entries).toEqual([]);

    const since = await caller().audit.list({ workspaceId, from: startedAt });
    expect(since.entries.map((entry) => entry.action).sort()).toEqual(['member.invite', 'workspace.rename']);
    const until = await caller().audit.list({ workspaceId, to: startedAt });
    expect(until.entries.length).toBe(all.entries.length - 2);

    // Paging keeps the filter.
    const first = await caller().audit.list({ workspaceId, from: startedAt, limit: 1 });
    const second = await caller().audit.list({
      workspaceId,
      from: startedAt,
      limit: 1,
      before: first.nextBefore ?? undefined,
    });
    expect([...first.entries, ...second.entries].map((entry) => entry.action).sort()).toEqual([
      'member.invite',
      'workspace.rename',
    ]);
    expect(second.nextBefore).toBeNull();
  });

  it('names a bad filter and lists nothing', async () => {
    await expect(caller().audit.list({ workspaceId, from: 'last tuesday' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('from'),
    });
    await expect(caller().audit.list({ workspaceId, action: "x' or 1=1" })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('action'),
    });
    await expect(
      caller().audit.list({ workspaceId, from: '2026-12-02', to: '2026-12-01' }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('creates a personal access token that expires after the days asked for', async () => {
    const before = Date.now();
    const created = await caller().tokens.create({ name: 'laptop', expiresInDays: 30 });
    expect(created.token).toMatch(/^sbp_/);
    const expiresAt = Date.parse(created.view.expiresAt ?? '');
    expect(expiresAt - before).toBeGreaterThanOrEqual(30 * 86_400_000 - 1_000);
    expect(expiresAt - before).toBeLessThanOrEqual(30 * 86_400_000 + 60_000);
    expect((await caller().tokens.create({ name: 'forever' })).view.expiresAt).toBeNull();
    await expect(caller().tokens.create({ name: 'too long', expiresInDays: 400 })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
  });
});
