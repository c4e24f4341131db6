import { type Core, createUser } from '@switchboard/core';
import { ENGINES } from '@switchboard/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCore } from '@switchboard/core/testing';
import {
  asUser,
  callerFor,
  expectFieldErrors,
  expectTRPCError,
  memberCaller,
  PASSWORD,
  setupWorkspace,
  strangerCaller,
} from '../../test/accounts-support.ts';

type Caller = ReturnType<typeof callerFor>['caller'];

const OPERATOR = { kind: 'system', label: 'cli' } as const;

describe.each(ENGINES)('workspace, member, API key and audit routers on %s', (engine) => {
  let core: Core;
  let owner: Caller;
  let workspaceId: string;
  let ownerMemberId: string;
  beforeAll(async () => {
    core = await createTestCore(engine);
    const setup = await setupWorkspace(core);
    owner = setup.owner;
    workspaceId = setup.workspace.id;
    const members = await owner.members.list({ workspaceId });
    ownerMemberId = members[0]?.id ?? '';
  });
  afterAll(() => core.close());

  it('answers UNAUTHORIZED to every procedure without a user', async () => {
    const { caller } = callerFor(core);
    const calls: (() => Promise<unknown>)[] = [
      () => caller.workspaces.list(),
      () => caller.workspaces.create({ name: 'x' }),
      () => caller.workspaces.byId({ workspaceId }),
      () => caller.workspaces.rename({ workspaceId, name: 'x', version: 1 }),
      () => caller.members.list({ workspaceId }),
      () => caller.members.invite({ workspaceId, email: 'a@example.test', role: 'member' }),
      () => caller.members.changeRole({ workspaceId, memberId: ownerMemberId, role: 'member', version: 1 }),
      () => caller.members.remove({ workspaceId, memberId: ownerMemberId }),
      () => caller.members.myInvitations(),
      () => caller.members.accept({ invitationId: 'inv_x' }),
      () => caller.members.revokeInvitation({ workspaceId, invitationId: 'inv_x' }),
      () => caller.apiKeys.list({ workspaceId }),
      () => caller.apiKeys.create({ workspaceId, name: 'x' }),
      () => caller.apiKeys.revoke({ workspaceId, apiKeyId: 'key_x' }),
      () => caller.audit.list({ workspaceId }),
    ];
    for (const call of calls) await expectTRPCError(call(), 'UNAUTHORIZED');
  });

  it("answers NOT_FOUND to a non-member for another workspace's ids, as for ids that do not exist", async () => {
    const key = await owner.apiKeys.create({ workspaceId, name: 'secret-holder' });
    const invitation = await owner.members.invite({
      workspaceId,
      email: 'kept@example.test',
      role: 'member',
    });
    const stranger = await strangerCaller(core);
    const other = stranger.caller;
    const calls: (() => Promise<unknown>)[] = [
      () => other.workspaces.byId({ workspaceId }),
      () => other.workspaces.rename({ workspaceId, name: 'Mine', version: 1 }),
      () => other.members.list({ workspaceId }),
      () => other.members.invite({ workspaceId, email: 'a@example.test', role: 'member' }),
      () => other.members.changeRole({ workspaceId, memberId: ownerMemberId, role: 'member', version: 1 }),
      () => other.members.remove({ workspaceId, memberId: ownerMemberId }),
      () => other.members.revokeInvitation({ workspaceId, invitationId: invitation.id }),
      () => other.apiKeys.list({ workspaceId }),
      () => other.apiKeys.create({ workspaceId, name: 'x' }),
      () => other.apiKeys.revoke({ workspaceId, apiKeyId: key.view.id }),
      () => other.audit.list({ workspaceId }),
      // Their own workspace with this workspace's record ids.
      () => other.apiKeys.revoke({ workspaceId: stranger.workspace.id, apiKeyId: key.view.id }),
      () => other.members.remove({ workspaceId: stranger.workspace.id, memberId: ownerMemberId }),
      () =>
        other.members.revokeInvitation({ workspaceId: stranger.workspace.id, invitationId: invitation.id }),
      () =>
        other.members.changeRole({
          workspaceId: stranger.workspace.id,
          memberId: ownerMemberId,
          role: 'member',
          version: 1,
        }),
    ];
    const messages = new Set<string>();
    for (const call of calls) messages.add((await expectTRPCError(call(), 'NOT_FOUND')).message);
    const missing = await expectTRPCError(
      other.workspaces.byId({ workspaceId: 'ws_does_not_exist' }),
      'NOT_FOUND',
    );
    expect(messages.has(missing.message)).toBe(true);
    expect(
      (await owner.apiKeys.list({ workspaceId })).find((item) => item.id === key.view.id)?.revokedAt,
    ).toBeNull();
    expect((await owner.members.invitations({ workspaceId })).map((item) => item.id)).toContain(
      invitation.id,
    );
  });

  it('answers FORBIDDEN to editors and members for changes, and lets them read', async () => {
    for (const role of ['editor', 'member'] as const) {
      const { caller } = await memberCaller(core, owner, workspaceId, role);
      const key = await owner.apiKeys.create({ workspaceId, name: `for-${role}` });
      const calls: (() => Promise<unknown>)[] = [
        ...(role === 'member' ? [() => caller.apiKeys.create({ workspaceId, name: 'x' })] : []),
        () => caller.workspaces.rename({ workspaceId, name: 'Mine', version: 1 }),
        () => caller.members.invite({ workspaceId, email: 'a@example.test', role: 'member' }),
        () => caller.members.changeRole({ workspaceId, memberId: ownerMemberId, role: 'member', version: 1 }),
        () => caller.members.remove({ workspaceId, memberId: ownerMemberId }),
        () => caller.members.invitations({ workspaceId }),
        () => caller.members.revokeInvitation({ workspaceId, invitationId: 'inv_x' }),
        () => caller.apiKeys.revoke({ workspaceId, apiKeyId: key.view.id }),
        () => caller.audit.list({ workspaceId }),
      ];
      for (const call of calls) await expectTRPCError(call(), 'FORBIDDEN');
      expect((await caller.workspaces.byId({ workspaceId })).id).toBe(workspaceId);
      expect((await caller.members.list({ workspaceId })).length).toBeGreaterThan(1);
      expect(JSON.stringify(await caller.apiKeys.list({ workspaceId }))).not.toContain(key.key);
    }
  });

  it('lets an editor create API keys and revoke only their own', async () => {
    const { caller } = await memberCaller(core, owner, workspaceId, 'editor');
    const own = await caller.apiKeys.create({ workspaceId, name: 'editor app' });
    const others = await owner.apiKeys.create({ workspaceId, name: 'owner app' });
    await expectTRPCError(caller.apiKeys.revoke({ workspaceId, apiKeyId: others.view.id }), 'FORBIDDEN');
    expect((await caller.apiKeys.revoke({ workspaceId, apiKeyId: own.view.id })).revokedAt).not.toBeNull();
  });

  it('answers BAD_REQUEST naming the fields, from zod and from core, and writes nothing', async () => {
    const auditBefore = (await owner.audit.list({ workspaceId, limit: 200 })).entries.length;
    expect(
      await expectFieldErrors(owner.members.invite({ workspaceId, email: 'x', role: 'boss' as 'member' })),
    ).toEqual(['role']);
    expect(
      await expectFieldErrors(owner.members.invite({ workspaceId, email: 'x', role: 'member' })),
    ).toEqual(['email']);
    expect(await expectFieldErrors(owner.workspaces.rename({ workspaceId, name: '', version: 1 }))).toEqual([
      'name',
    ]);
    expect(
      await expectFieldErrors(owner.workspaces.rename({ workspaceId, name: 'x', version: 1.5 })),
    ).toEqual(['version']);
    expect(await expectFieldErrors(owner.apiKeys.create({ workspaceId, name: '' }))).toEqual(['name']);
    expect(await expectFieldErrors(owner.workspaces.byId({ workspaceId: '' }))).toEqual(['workspaceId']);
    expect(await expectFieldErrors(owner.audit.list({ workspaceId, limit: 0 }))).toEqual(['limit']);
    expect(await expectFieldErrors(owner.members.accept({ invitationId: '' }))).toEqual(['invitationId']);
    expect(
      await expectFieldErrors(owner.members.revokeInvitation({ workspaceId, invitationId: '' })),
    ).toEqual(['invitationId']);
    expect((await owner.audit.list({ workspaceId, limit: 200 })).entries.length).toBe(auditBefore);
  });

  it('revokes a pending invitation: it leaves the list and can no longer be accepted', async () => {
    const invitee = await createUser(core, OPERATOR, {
      email: 'withdrawn@example.test',
      name: 'Wil Withdrawn',
      password: PASSWORD,
    });
    const invited = await owner.members.invite({ workspaceId, email: invitee.email, role: 'editor' });
    const revoked = await owner.members.revokeInvitation({ workspaceId, invitationId: invited.id });
    expect(revoked).toMatchObject({ id: invited.id, email: invitee.email });
    expect(revoked.revokedAt).not.toBeNull();
    expect((await owner.members.invitations({ workspaceId })).map((item) => item.id)).not.toContain(
      invited.id,
    );
    const { caller: inviteeCaller } = callerFor(core, asUser(invitee.id));
    expect(await inviteeCaller.members.myInvitations()).toEqual([]);
    const refused = await expectTRPCError(
      inviteeCaller.members.accept({ invitationId: invited.id }),
      'NOT_FOUND',
    );
    expect(refused.message).toMatch(/revoked/);
    await expectTRPCError(
      owner.members.revokeInvitation({ workspaceId, invitationId: invited.id }),
      'NOT_FOUND',
    );
    const audit = await owner.audit.list({ workspaceId, limit: 5, action: 'member.invitation_revoke' });
    expect(audit.entries.map((entry) => entry.targetId)).toEqual([invited.id]);
  });

  it('invites, accepts, changes roles with versions, keeps the last owner, and audits it all', async () => {
    const invitee = await createUser(core, OPERATOR, {
      email: 'invitee@example.test',
      name: 'Ivy Invitee',
      password: PASSWORD,
    });
    const invited = await owner.members.invite({
      workspaceId,
      email: 'invitee@example.test',
      role: 'editor',
    });
    expect((await owner.members.invitations({ workspaceId })).map((item) => item.email)).toContain(
      'invitee@example.test',
    );
    const { caller: inviteeCaller } = callerFor(core, asUser(invitee.id));
    expect((await inviteeCaller.members.myInvitations()).map((item) => item.id)).toEqual([invited.id]);
    const accepted = await inviteeCaller.members.accept({ invitationId: invited.id });
    expect(accepted.member.role).toBe('editor');

    const promoted = await owner.members.changeRole({
      workspaceId,
      memberId: accepted.member.id,
      role: 'admin',
      version: 1,
    });
    expect(promoted.version).toBe(2);
    await expectTRPCError(
      owner.members.changeRole({ workspaceId, memberId: accepted.member.id, role: 'member', version: 1 }),
      'CONFLICT',
    );
    const ownerVersion =
      (await owner.members.list({ workspaceId })).find((member) => member.id === ownerMemberId)?.version ?? 0;
    await expectTRPCError(
      owner.members.changeRole({
        workspaceId,
        memberId: ownerMemberId,
        role: 'admin',
        version: ownerVersion,
      }),
      'CONFLICT',
    );
    await expectTRPCError(owner.members.remove({ workspaceId, memberId: ownerMemberId }), 'CONFLICT');
    await owner.members.remove({ workspaceId, memberId: accepted.member.id });

    const renamed = await owner.workspaces.rename({ workspaceId, name: 'Acme Labs', version: 1 });
    await expectTRPCError(owner.workspaces.rename({ workspaceId, name: 'Stale', version: 1 }), 'CONFLICT');
    expect(renamed.name).toBe('Acme Labs');
    expect((await owner.workspaces.list()).map((item) => item.workspace.name)).toContain('Acme Labs');

    const audit = await owner.audit.list({ workspaceId, limit: 200 });
    const actions = audit.entries.map((entry) => entry.action);
    for (const action of [
      'member.invite',
      'member.join',
      'member.role_change',
      'member.remove',
      'workspace.rename',
      'api_key.create',
    ]) {
      expect(actions).toContain(action);
    }
    expect(JSON.stringify(audit)).not.toMatch(/sb[pkis]_[0-9a-z]{40}/);
  });
});
