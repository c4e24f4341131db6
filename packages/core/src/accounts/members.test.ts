import { sql } from 'kysely';
import { ENGINES } from '@switchboard/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCore } from '../../test/test-core.ts';
import { type Membership, requireMember } from '../access.ts';
import type { ChangeEvent } from '../changes.ts';
import type { Core } from '../core.ts';
import { listAudit } from './audit-log.ts';
import { login } from './auth.ts';
import {
  acceptInvitation,
  acceptInvitationAsUser,
  addMember,
  changeRole,
  listInvitations,
  listMembers,
  removeMember,
} from './members.ts';
import {
  countRows,
  createUser,
  everything,
  expectCoreError,
  memberWithRole,
  PASSWORD,
  setupOwner,
  stranger,
} from './test-support.ts';
import { createWorkspace, findWorkspace, getWorkspace, renameWorkspace } from './workspaces.ts';

async function memberRow(core: Core, member: Membership) {
  return core.db
    .selectFrom('workspace_members')
    .selectAll()
    .where('id', '=', member.memberId)
    .executeTakeFirstOrThrow();
}

describe.each(ENGINES)('members and invitations on %s', (engine) => {
  let core: Core;
  let owner: Membership;
  const events: ChangeEvent[] = [];
  beforeAll(async () => {
    core = await createTestCore(engine);
    owner = (await setupOwner(core)).owner;
    core.changes.subscribe((event) => events.push(event));
  });
  afterAll(() => core.close());

  it('adds an existing user directly, once', async () => {
    const user = await createUser(core, { name: 'Ed Editor' });
    events.length = 0;
    const result = await addMember(core, owner, { email: user.email.toUpperCase(), role: 'editor' });
    expect(result).toMatchObject({
      kind: 'member',
      member: { userId: user.id, role: 'editor', name: 'Ed Editor', version: 1 },
    });
    expect(events).toEqual([
      expect.objectContaining({ kind: 'member', action: 'member.add', workspaceId: owner.workspaceId }),
    ]);
    await expectCoreError(addMember(core, owner, { email: user.email, role: 'member' }), 'CONFLICT');
    const members = await listMembers(core, owner);
    expect(members.map((member) => member.email)).toContain(user.email);
  });

  it('invites an unknown email with a one-time token that creates the account', async () => {
    const result = await addMember(core, owner, { email: 'newcomer@example.test', role: 'admin' });
    if (result.kind !== 'invitation') throw new Error('expected an invitation');
    expect(result.token).toMatch(/^sbi_[0-9a-z]{40}$/);
    expect(JSON.stringify(result.invitation)).not.toContain(result.token);
    expect(await everything(core)).not.toContain(result.token);
    expect((await listInvitations(core, owner)).map((invitation) => invitation.email)).toContain(
      'newcomer@example.test',
    );

    const badInput = await expectCoreError(
      acceptInvitation(core, { token: result.token, name: '', password: 'short' }),
      'BAD_REQUEST',
    );
    expect(Object.keys(badInput.fieldErrors ?? {}).sort()).toEqual(['name', 'password']);

    const accepted = await acceptInvitation(core, {
      token: result.token,
      name: 'Nia Newcomer',
      password: PASSWORD,
    });
    expect(accepted.member).toMatchObject({ role: 'admin', email: 'newcomer@example.test' });
    expect(accepted.workspace.id).toBe(owner.workspaceId);
    await login(core, { email: 'newcomer@example.test', password: PASSWORD, clientAddress: 'local' });
    await expectCoreError(
      acceptInvitation(core, { token: result.token, name: 'Again', password: PASSWORD }),
      'NOT_FOUND',
    );
    await expectCoreError(
      acceptInvitation(core, { token: 'sbi_nonsense', name: 'Again', password: PASSWORD }),
      'NOT_FOUND',
    );
    expect((await listInvitations(core, owner)).map((invitation) => invitation.email)).not.toContain(
      'newcomer@example.test',
    );
  });

  it('lets a signed-in user accept an invitation for their own email only', async () => {
    const outsider = await stranger(core);
    const outsiderEmail = (
      await core.db
        .selectFrom('users')
        .select('email')
        .where('id', '=', outsider.userId)
        .executeTakeFirstOrThrow()
    ).email;
    // Invited before the account existed: the invitation is for that email.
    const result = await addMember(core, owner, { email: 'later@example.test', role: 'member' });
    if (result.kind !== 'invitation') throw new Error('expected an invitation');
    await expectCoreError(acceptInvitationAsUser(core, outsider.userId, result.token), 'NOT_FOUND');
    await core.db
      .updateTable('users')
      .set({ email: 'later@example.test' })
      .where('id', '=', outsider.userId)
      .execute();
    const accepted = await acceptInvitationAsUser(core, outsider.userId, result.token);
    expect(accepted.member).toMatchObject({ userId: outsider.userId, role: 'member' });
    await core.db
      .updateTable('users')
      .set({ email: outsiderEmail })
      .where('id', '=', outsider.userId)
      .execute();
  });

  it('expires invitations, and a new invitation replaces the pending one', async () => {
    const first = await addMember(core, owner, { email: 'twice@example.test', role: 'member' });
    const second = await addMember(core, owner, { email: 'twice@example.test', role: 'editor' });
    if (first.kind !== 'invitation' || second.kind !== 'invitation') throw new Error('expected invitations');
    await expectCoreError(
      acceptInvitation(core, { token: first.token, name: 'Twice', password: PASSWORD }),
      'NOT_FOUND',
    );
    await core.db
      .updateTable('invitations')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('id', '=', second.invitation.id)
      .execute();
    await expectCoreError(
      acceptInvitation(core, { token: second.token, name: 'Twice', password: PASSWORD }),
      'NOT_FOUND',
    );
    expect(
      await core.db
        .selectFrom('users')
        .select('id')
        .where('email', '=', 'twice@example.test')
        .executeTakeFirst(),
    ).toBeUndefined();
  });

  it('lets only owners and admins manage members, and only owners grant the owner role', async () => {
    const admin = await memberWithRole(core, owner, 'admin');
    const editor = await memberWithRole(core, owner, 'editor');
    const member = await memberWithRole(core, owner, 'member');
    const target = await createUser(core);
    await expectCoreError(addMember(core, editor, { email: target.email, role: 'member' }), 'FORBIDDEN');
    await expectCoreError(addMember(core, member, { email: target.email, role: 'member' }), 'FORBIDDEN');
    await expectCoreError(addMember(core, admin, { email: target.email, role: 'owner' }), 'FORBIDDEN');
    await expectCoreError(
      changeRole(core, editor, { memberId: member.memberId, role: 'editor', version: 1 }),
      'FORBIDDEN',
    );
    await expectCoreError(removeMember(core, member, editor.memberId), 'FORBIDDEN');
    await expectCoreError(
      changeRole(core, admin, { memberId: member.memberId, role: 'owner', version: 1 }),
      'FORBIDDEN',
    );
    await expectCoreError(
      changeRole(core, admin, {
        memberId: owner.memberId,
        role: 'member',
        version: (await memberRow(core, owner)).version,
      }),
      'FORBIDDEN',
    );
    await expectCoreError(removeMember(core, admin, owner.memberId), 'FORBIDDEN');

    const changed = await changeRole(core, admin, { memberId: member.memberId, role: 'editor', version: 1 });
    expect(changed).toMatchObject({ role: 'editor', version: 2 });
    await removeMember(core, admin, member.memberId);
    await expectCoreError(requireMember(core.db, member.userId, owner.workspaceId), 'NOT_FOUND');
    expect(await countRows(core, 'users')).toBeGreaterThan(0);
  });

  it('answers a stale version with CONFLICT and changes nothing', async () => {
    const editor = await memberWithRole(core, owner, 'editor');
    await changeRole(core, owner, { memberId: editor.memberId, role: 'member', version: 1 });
    await expectCoreError(
      changeRole(core, owner, { memberId: editor.memberId, role: 'admin', version: 1 }),
      'CONFLICT',
    );
    expect((await memberRow(core, editor)).role).toBe('member');
  });

  it('hides other workspaces: their members are NOT_FOUND', async () => {
    const outsider = await stranger(core);
    await expectCoreError(
      changeRole(core, owner, { memberId: outsider.memberId, role: 'member', version: 1 }),
      'NOT_FOUND',
    );
    await expectCoreError(removeMember(core, owner, outsider.memberId), 'NOT_FOUND');
  });

  it('rejects bad input naming the fields, and writes nothing', async () => {
    const before = await countRows(core, 'audit_log');
    const added = await expectCoreError(
      addMember(core, owner, { email: 'nope', role: 'captain' as 'member' }),
      'BAD_REQUEST',
    );
    expect(Object.keys(added.fieldErrors ?? {}).sort()).toEqual(['email', 'role']);
    const changed = await expectCoreError(
      changeRole(core, owner, { memberId: '', role: 'member', version: 0 }),
      'BAD_REQUEST',
    );
    expect(Object.keys(changed.fieldErrors ?? {}).sort()).toEqual(['memberId', 'version']);
    expect(await countRows(core, 'audit_log')).toBe(before);
  });
});

describe.each(ENGINES)('the last owner on %s', (engine) => {
  let core: Core;
  beforeAll(async () => {
    core = await createTestCore(engine);
  });
  afterAll(() => core.close());

  it('cannot be demoted or removed; with two owners one may go, never both', async () => {
    const { owner } = await setupOwner(core);
    const row = await memberRow(core, owner);
    await expectCoreError(
      changeRole(core, owner, { memberId: owner.memberId, role: 'admin', version: row.version }),
      'CONFLICT',
    );
    await expectCoreError(removeMember(core, owner, owner.memberId), 'CONFLICT');

    const second = await memberWithRole(core, owner, 'owner');
    // Both owners demote each other at the same time: the workspace keeps one.
    const results = await Promise.allSettled([
      changeRole(core, owner, { memberId: second.memberId, role: 'admin', version: 1 }),
      changeRole(core, second, {
        memberId: owner.memberId,
        role: 'admin',
        version: (await memberRow(core, owner)).version,
      }),
    ]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const owners = await core.db
      .selectFrom('workspace_members')
      .select('id')
      .where('workspace_id', '=', owner.workspaceId)
      .where('role', '=', 'owner')
      .execute();
    expect(owners).toHaveLength(1);
  });
});

describe.each(ENGINES)('workspaces and the audit log on %s', (engine) => {
  let core: Core;
  let owner: Membership;
  const events: ChangeEvent[] = [];
  beforeAll(async () => {
    core = await createTestCore(engine);
    owner = (await setupOwner(core)).owner;
    core.changes.subscribe((event) => events.push(event));
  });
  afterAll(() => core.close());

  it('creates, reads, renames with a version, and finds workspaces', async () => {
    const created = await createWorkspace(core, owner.userId, '  Side project ');
    expect(created).toMatchObject({ name: 'Side project', version: 1 });
    const membership = await requireMember(core.db, owner.userId, created.id);
    expect(membership.role).toBe('owner');
    events.length = 0;
    const renamed = await renameWorkspace(core, membership, { name: 'Main project', version: 1 });
    expect(renamed).toMatchObject({ name: 'Main project', version: 2 });
    expect(events).toEqual([
      expect.objectContaining({ kind: 'workspace', action: 'workspace.rename', id: created.id }),
    ]);
    await expectCoreError(renameWorkspace(core, membership, { name: 'Lost update', version: 1 }), 'CONFLICT');
    expect((await getWorkspace(core, membership)).name).toBe('Main project');

    expect(await findWorkspace(core, created.id)).toMatchObject({ id: created.id });
    expect(await findWorkspace(core, 'Main project')).toMatchObject({ id: created.id });
    expect(await findWorkspace(core, 'No such workspace')).toBeNull();
    await createWorkspace(core, owner.userId, 'Main project');
    await expectCoreError(findWorkspace(core, 'Main project'), 'CONFLICT');
  });

  it('forbids renaming for editors and members and names bad fields', async () => {
    const editor = await memberWithRole(core, owner, 'editor');
    await expectCoreError(renameWorkspace(core, editor, { name: 'Mine now', version: 1 }), 'FORBIDDEN');
    const error = await expectCoreError(
      renameWorkspace(core, owner, { name: '', version: 1 }),
      'BAD_REQUEST',
    );
    expect(error.fieldErrors).toHaveProperty('name');
    await expectCoreError(createWorkspace(core, owner.userId, ''), 'BAD_REQUEST');
  });

  it('rolls the change back when its audit row cannot be written', async () => {
    const version = (await getWorkspace(core, owner)).version;
    await sql`alter table audit_log rename to audit_log_unavailable`.execute(core.db);
    try {
      await expect(renameWorkspace(core, owner, { name: 'Unaudited', version })).rejects.toThrow();
    } finally {
      await sql`alter table audit_log_unavailable rename to audit_log`.execute(core.db);
    }
    expect((await getWorkspace(core, owner)).name).toBe('Acme');
  });

  it('lists the audit log newest first, page by page, for owners and admins only, without secrets', async () => {
    for (const name of ['One', 'Two', 'Three']) {
      const { version } = await getWorkspace(core, owner);
      await renameWorkspace(core, owner, { name, version });
      // Audit times have millisecond resolution: keep each rename in its own millisecond so "newest" is defined.
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    const first = await listAudit(core, owner, { limit: 2 });
    expect(first.entries.map((entry) => entry.details)).toEqual([
      expect.objectContaining({ from: 'Two', to: 'Three' }),
      expect.objectContaining({ from: 'One', to: 'Two' }),
    ]);
    expect(first.nextBefore).toBe(first.entries[1]?.id);
    const second = await listAudit(core, owner, { limit: 2, before: first.nextBefore ?? undefined });
    expect(second.entries[0]?.details).toMatchObject({ to: 'One' });
    expect(second.entries.every((entry) => entry.workspaceId === owner.workspaceId)).toBe(true);
    const all = await listAudit(core, owner, { limit: 200 });
    expect(all.nextBefore).toBeNull();
    expect(JSON.stringify(all)).not.toMatch(/sb[pkis]_[0-9a-z]{40}/);

    const editor = await memberWithRole(core, owner, 'editor');
    await expectCoreError(listAudit(core, editor, { limit: 10 }), 'FORBIDDEN');
    const error = await expectCoreError(listAudit(core, owner, { limit: 0 }), 'BAD_REQUEST');
    expect(error.fieldErrors).toHaveProperty('limit');
    await expectCoreError(listAudit(core, owner, { limit: 5, before: 'aud_unknown' }), 'BAD_REQUEST');
  });
});
