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
  changeRole,
  inviteMember,
  listInvitations,
  listMembers,
  listOwnInvitations,
  removeMember,
  revokeInvitation,
} from './members.ts';
import {
  countRows,
  createUser,
  expectCoreError,
  memberWithRole,
  PASSWORD,
  setupOwner,
  stranger,
  type TestMember,
} from './test-support.ts';
import { createUser as createAccount } from './users.ts';
import { createWorkspace, findWorkspace, getWorkspace, renameWorkspace } from './workspaces.ts';

async function memberRow(core: Core, member: Membership) {
  return core.db
    .selectFrom('workspace_members')
    .selectAll()
    .where('id', '=', member.memberId)
    .executeTakeFirstOrThrow();
}

const OPERATOR = { kind: 'system', label: 'cli' } as const;
const asUser = (userId: string) => ({ kind: 'user', userId }) as const;

describe.each(ENGINES)('members and invitations on %s', (engine) => {
  let core: Core;
  let owner: TestMember;
  let workspaceId: string;
  const events: ChangeEvent[] = [];
  beforeAll(async () => {
    core = await createTestCore(engine);
    owner = (await setupOwner(core)).owner;
    workspaceId = owner.workspaceId;
    core.changes.subscribe((event) => events.push(event));
  });
  afterAll(() => core.close());

  it('adds an existing user only when they accept the invitation', async () => {
    const user = await createUser(core, { name: 'Ed Editor' });
    events.length = 0;
    const invitation = await inviteMember(core, owner, {
      workspaceId,
      email: user.email.toUpperCase(),
      role: 'editor',
    });
    expect(invitation).toMatchObject({ email: user.email, role: 'editor', acceptedAt: null });
    expect(events).toEqual([
      expect.objectContaining({ kind: 'member', action: 'member.invite', workspaceId }),
    ]);
    await expectCoreError(requireMember(core.db, user.id, workspaceId), 'NOT_FOUND');
    expect((await listInvitations(core, owner, { workspaceId })).map((pending) => pending.email)).toContain(
      user.email,
    );

    const own = await listOwnInvitations(core, asUser(user.id));
    expect(own).toEqual([
      expect.objectContaining({ id: invitation.id, workspaceName: 'Acme', role: 'editor' }),
    ]);
    events.length = 0;
    const accepted = await acceptInvitation(core, asUser(user.id), { invitationId: invitation.id });
    expect(accepted.member).toMatchObject({ userId: user.id, role: 'editor', name: 'Ed Editor', version: 1 });
    expect(accepted.workspace.id).toBe(workspaceId);
    expect(events).toEqual([expect.objectContaining({ kind: 'member', action: 'member.join', workspaceId })]);
    await expectCoreError(
      acceptInvitation(core, asUser(user.id), { invitationId: invitation.id }),
      'NOT_FOUND',
    );
    await expectCoreError(
      inviteMember(core, owner, { workspaceId, email: user.email, role: 'member' }),
      'CONFLICT',
    );
    expect(await listOwnInvitations(core, asUser(user.id))).toEqual([]);
    const members = await listMembers(core, owner, { workspaceId });
    expect(members.map((member) => member.email)).toContain(user.email);
  });

  // Issue 13, defect 2: an attacker invited victim@corp to their own workspace, accepted the
  // invitation token with a password of their choosing (creating the victim's account), and
  // was let in as admin when another owner later added victim@corp.
  it('lets no inviter create an account for an email, and no one accept an invitation for someone else', async () => {
    const attacker = await stranger(core);
    const usersBefore = await countRows(core, 'users');
    const planted = await inviteMember(core, attacker, {
      workspaceId: attacker.workspaceId,
      email: 'victim@corp.test',
      role: 'member',
    });
    // Nothing the inviter receives can create an account: no secret comes back, and accounts
    // are created by the operator only.
    expect(JSON.stringify(planted)).not.toMatch(/sb[pkis]_/);
    await expectCoreError(
      createAccount(core, attacker, { email: 'victim@corp.test', name: 'Victim', password: PASSWORD }),
      'FORBIDDEN',
    );
    expect(await countRows(core, 'users')).toBe(usersBefore);

    const victim = await createAccount(core, OPERATOR, {
      email: 'victim@corp.test',
      name: 'Vic',
      password: PASSWORD,
    });
    const invitation = await inviteMember(core, owner, {
      workspaceId,
      email: 'victim@corp.test',
      role: 'admin',
    });
    // Not a member until the victim says yes, and nobody else can say it for them.
    await expectCoreError(requireMember(core.db, victim.id, workspaceId), 'NOT_FOUND');
    await expectCoreError(acceptInvitation(core, attacker, { invitationId: invitation.id }), 'NOT_FOUND');
    await expectCoreError(acceptInvitation(core, OPERATOR, { invitationId: invitation.id }), 'FORBIDDEN');
    expect((await listOwnInvitations(core, attacker)).map((pending) => pending.id)).not.toContain(
      invitation.id,
    );
    await expectCoreError(requireMember(core.db, victim.id, workspaceId), 'NOT_FOUND');

    await login(core, { email: 'victim@corp.test', password: PASSWORD, clientAddress: 'local' });
    const pending = await listOwnInvitations(core, asUser(victim.id));
    expect(pending.map((entry) => entry.workspaceName).sort()).toEqual(['Acme', 'Elsewhere']);
    await acceptInvitation(core, asUser(victim.id), { invitationId: invitation.id });
    expect((await requireMember(core.db, victim.id, workspaceId)).role).toBe('admin');
  });

  it('expires invitations, and a new invitation replaces the pending one', async () => {
    const user = await createUser(core, { email: 'twice@example.test' });
    const first = await inviteMember(core, owner, {
      workspaceId,
      email: 'twice@example.test',
      role: 'member',
    });
    const second = await inviteMember(core, owner, {
      workspaceId,
      email: 'twice@example.test',
      role: 'editor',
    });
    await expectCoreError(acceptInvitation(core, asUser(user.id), { invitationId: first.id }), 'NOT_FOUND');
    await core.db
      .updateTable('invitations')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('id', '=', second.id)
      .execute();
    await expectCoreError(acceptInvitation(core, asUser(user.id), { invitationId: second.id }), 'NOT_FOUND');
    await expectCoreError(requireMember(core.db, user.id, workspaceId), 'NOT_FOUND');
  });

  it('revokes a pending invitation (owners and admins), audited and published, so it can no longer be accepted', async () => {
    const admin = await memberWithRole(core, owner, 'admin');
    const editor = await memberWithRole(core, owner, 'editor');
    const member = await memberWithRole(core, owner, 'member');
    const user = await createUser(core, { email: 'withdrawn@example.test' });
    const invitation = await inviteMember(core, owner, { workspaceId, email: user.email, role: 'admin' });
    const auditBefore = await countRows(core, 'audit_log');
    for (const refused of [editor, member]) {
      await expectCoreError(
        revokeInvitation(core, refused, { workspaceId, invitationId: invitation.id }),
        'FORBIDDEN',
      );
    }
    expect(await countRows(core, 'audit_log')).toBe(auditBefore);

    events.length = 0;
    const revoked = await revokeInvitation(core, admin, { workspaceId, invitationId: invitation.id });
    expect(revoked).toMatchObject({ id: invitation.id, email: user.email, acceptedAt: null });
    expect(revoked.revokedAt).not.toBeNull();
    expect(events).toEqual([
      expect.objectContaining({
        kind: 'member',
        action: 'member.invitation_revoke',
        id: invitation.id,
        workspaceId,
      }),
    ]);
    const [entry] = (
      await listAudit(core, owner, { workspaceId, limit: 5, action: 'member.invitation_revoke' })
    ).entries;
    expect(entry).toMatchObject({
      action: 'member.invitation_revoke',
      targetId: invitation.id,
      actorUserId: admin.userId,
      details: { email: user.email, role: 'admin' },
    });
    expect((await listInvitations(core, owner, { workspaceId })).map((pending) => pending.id)).not.toContain(
      invitation.id,
    );
    expect(await listOwnInvitations(core, asUser(user.id))).toEqual([]);
    const refusal = await expectCoreError(
      acceptInvitation(core, asUser(user.id), { invitationId: invitation.id }),
      'NOT_FOUND',
    );
    expect(refusal.message).toMatch(/revoked/);
    await expectCoreError(requireMember(core.db, user.id, workspaceId), 'NOT_FOUND');

    // Once revoked, accepted or expired, there is nothing left to revoke.
    const auditAfter = await countRows(core, 'audit_log');
    await expectCoreError(
      revokeInvitation(core, owner, { workspaceId, invitationId: invitation.id }),
      'NOT_FOUND',
    );
    const joined = await createUser(core);
    const accepted = await inviteMember(core, owner, { workspaceId, email: joined.email, role: 'member' });
    await acceptInvitation(core, asUser(joined.id), { invitationId: accepted.id });
    await expectCoreError(
      revokeInvitation(core, owner, { workspaceId, invitationId: accepted.id }),
      'NOT_FOUND',
    );
    expect((await requireMember(core.db, joined.id, workspaceId)).role).toBe('member');
    const late = await inviteMember(core, owner, { workspaceId, email: 'late@example.test', role: 'member' });
    await core.db
      .updateTable('invitations')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('id', '=', late.id)
      .execute();
    await expectCoreError(revokeInvitation(core, owner, { workspaceId, invitationId: late.id }), 'NOT_FOUND');
    // Only the invitations and the join wrote entries: a refused revoke writes none.
    expect(await countRows(core, 'audit_log')).toBe(auditAfter + 3);
  });

  it("hides another workspace's invitations from revoking, and names a missing invitationId", async () => {
    const outsider = await stranger(core);
    const theirs = await inviteMember(core, outsider, {
      workspaceId: outsider.workspaceId,
      email: 'theirs@example.test',
      role: 'member',
    });
    await expectCoreError(
      revokeInvitation(core, owner, { workspaceId, invitationId: theirs.id }),
      'NOT_FOUND',
    );
    // A workspace the caller is not in is NOT_FOUND as well, as for any id that does not exist.
    await expectCoreError(
      revokeInvitation(core, owner, { workspaceId: outsider.workspaceId, invitationId: theirs.id }),
      'NOT_FOUND',
    );
    const stillPending = await listInvitations(core, outsider, { workspaceId: outsider.workspaceId });
    expect(stillPending.map((pending) => pending.id)).toEqual([theirs.id]);
    const missing = await expectCoreError(
      revokeInvitation(core, owner, { workspaceId, invitationId: ' ' }),
      'BAD_REQUEST',
    );
    expect(Object.keys(missing.fieldErrors ?? {})).toEqual(['invitationId']);
  });

  it('lets only owners and admins manage members, and only owners grant the owner role', async () => {
    const admin = await memberWithRole(core, owner, 'admin');
    const editor = await memberWithRole(core, owner, 'editor');
    const member = await memberWithRole(core, owner, 'member');
    const target = await createUser(core);
    await expectCoreError(
      inviteMember(core, editor, { workspaceId: owner.workspaceId, email: target.email, role: 'member' }),
      'FORBIDDEN',
    );
    await expectCoreError(
      inviteMember(core, member, { workspaceId: owner.workspaceId, email: target.email, role: 'member' }),
      'FORBIDDEN',
    );
    await expectCoreError(
      inviteMember(core, admin, { workspaceId: owner.workspaceId, email: target.email, role: 'owner' }),
      'FORBIDDEN',
    );
    await expectCoreError(
      changeRole(core, editor, {
        workspaceId: owner.workspaceId,
        memberId: member.memberId,
        role: 'editor',
        version: 1,
      }),
      'FORBIDDEN',
    );
    await expectCoreError(
      removeMember(core, member, { workspaceId: owner.workspaceId, memberId: editor.memberId }),
      'FORBIDDEN',
    );
    await expectCoreError(
      changeRole(core, admin, {
        workspaceId: owner.workspaceId,
        memberId: member.memberId,
        role: 'owner',
        version: 1,
      }),
      'FORBIDDEN',
    );
    await expectCoreError(
      changeRole(core, admin, {
        workspaceId: owner.workspaceId,
        memberId: owner.memberId,
        role: 'member',
        version: (await memberRow(core, owner)).version,
      }),
      'FORBIDDEN',
    );
    await expectCoreError(
      removeMember(core, admin, { workspaceId: owner.workspaceId, memberId: owner.memberId }),
      'FORBIDDEN',
    );

    const changed = await changeRole(core, admin, {
      workspaceId: owner.workspaceId,
      memberId: member.memberId,
      role: 'editor',
      version: 1,
    });
    expect(changed).toMatchObject({ role: 'editor', version: 2 });
    await removeMember(core, admin, { workspaceId: owner.workspaceId, memberId: member.memberId });
    await expectCoreError(requireMember(core.db, member.userId, owner.workspaceId), 'NOT_FOUND');
    expect(await countRows(core, 'users')).toBeGreaterThan(0);
  });

  it('answers a stale version with CONFLICT and changes nothing', async () => {
    const editor = await memberWithRole(core, owner, 'editor');
    await changeRole(core, owner, {
      workspaceId: owner.workspaceId,
      memberId: editor.memberId,
      role: 'member',
      version: 1,
    });
    await expectCoreError(
      changeRole(core, owner, {
        workspaceId: owner.workspaceId,
        memberId: editor.memberId,
        role: 'admin',
        version: 1,
      }),
      'CONFLICT',
    );
    expect((await memberRow(core, editor)).role).toBe('member');
  });

  it('hides other workspaces: their members are NOT_FOUND', async () => {
    const outsider = await stranger(core);
    await expectCoreError(
      changeRole(core, owner, {
        workspaceId: owner.workspaceId,
        memberId: outsider.memberId,
        role: 'member',
        version: 1,
      }),
      'NOT_FOUND',
    );
    await expectCoreError(
      removeMember(core, owner, { workspaceId: owner.workspaceId, memberId: outsider.memberId }),
      'NOT_FOUND',
    );
  });

  it('rejects bad input naming the fields, and writes nothing', async () => {
    const before = await countRows(core, 'audit_log');
    const added = await expectCoreError(
      inviteMember(core, owner, {
        workspaceId: owner.workspaceId,
        email: 'nope',
        role: 'captain' as 'member',
      }),
      'BAD_REQUEST',
    );
    expect(Object.keys(added.fieldErrors ?? {}).sort()).toEqual(['email', 'role']);
    const changed = await expectCoreError(
      changeRole(core, owner, { workspaceId: owner.workspaceId, memberId: '', role: 'member', version: 0 }),
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
      changeRole(core, owner, {
        workspaceId: owner.workspaceId,
        memberId: owner.memberId,
        role: 'admin',
        version: row.version,
      }),
      'CONFLICT',
    );
    await expectCoreError(
      removeMember(core, owner, { workspaceId: owner.workspaceId, memberId: owner.memberId }),
      'CONFLICT',
    );

    const second = await memberWithRole(core, owner, 'owner');
    // Both owners demote each other at the same time: the workspace keeps one.
    const results = await Promise.allSettled([
      changeRole(core, owner, {
        workspaceId: owner.workspaceId,
        memberId: second.memberId,
        role: 'admin',
        version: 1,
      }),
      changeRole(core, second, {
        workspaceId: owner.workspaceId,
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
  let owner: TestMember;
  const events: ChangeEvent[] = [];
  beforeAll(async () => {
    core = await createTestCore(engine);
    owner = (await setupOwner(core)).owner;
    core.changes.subscribe((event) => events.push(event));
  });
  afterAll(() => core.close());

  it('creates, reads, renames with a version, and finds workspaces', async () => {
    const created = await createWorkspace(core, owner, { name: '  Side project ' });
    expect(created).toMatchObject({ name: 'Side project', version: 1 });
    const membership: TestMember = {
      kind: 'user',
      ...(await requireMember(core.db, owner.userId, created.id)),
    };
    expect(membership.role).toBe('owner');
    events.length = 0;
    const renamed = await renameWorkspace(core, membership, {
      workspaceId: membership.workspaceId,
      name: 'Main project',
      version: 1,
    });
    expect(renamed).toMatchObject({ name: 'Main project', version: 2 });
    expect(events).toEqual([
      expect.objectContaining({ kind: 'workspace', action: 'workspace.rename', id: created.id }),
    ]);
    await expectCoreError(
      renameWorkspace(core, membership, {
        workspaceId: membership.workspaceId,
        name: 'Lost update',
        version: 1,
      }),
      'CONFLICT',
    );
    expect((await getWorkspace(core, membership, membership)).name).toBe('Main project');

    expect(await findWorkspace(core, created.id)).toMatchObject({ id: created.id });
    expect(await findWorkspace(core, 'Main project')).toMatchObject({ id: created.id });
    expect(await findWorkspace(core, 'No such workspace')).toBeNull();
    await createWorkspace(core, owner, { name: 'Main project' });
    await expectCoreError(findWorkspace(core, 'Main project'), 'CONFLICT');
  });

  it('forbids renaming for editors and members and names bad fields', async () => {
    const editor = await memberWithRole(core, owner, 'editor');
    await expectCoreError(
      renameWorkspace(core, editor, { workspaceId: editor.workspaceId, name: 'Mine now', version: 1 }),
      'FORBIDDEN',
    );
    const error = await expectCoreError(
      renameWorkspace(core, owner, { workspaceId: owner.workspaceId, name: '', version: 1 }),
      'BAD_REQUEST',
    );
    expect(error.fieldErrors).toHaveProperty('name');
    await expectCoreError(createWorkspace(core, owner, { name: '' }), 'BAD_REQUEST');
  });

  it('rolls the change back when its audit row cannot be written', async () => {
    const version = (await getWorkspace(core, owner, owner)).version;
    await sql`alter table audit_log rename to audit_log_unavailable`.execute(core.db);
    try {
      await expect(
        renameWorkspace(core, owner, { workspaceId: owner.workspaceId, name: 'Unaudited', version }),
      ).rejects.toThrow();
    } finally {
      await sql`alter table audit_log_unavailable rename to audit_log`.execute(core.db);
    }
    expect((await getWorkspace(core, owner, owner)).name).toBe('Acme');
  });

  it('lists the audit log newest first, page by page, for owners and admins only, without secrets', async () => {
    for (const name of ['One', 'Two', 'Three']) {
      const { version } = await getWorkspace(core, owner, owner);
      await renameWorkspace(core, owner, { workspaceId: owner.workspaceId, name, version });
      // Audit times have millisecond resolution: keep each rename in its own millisecond so "newest" is defined.
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    const first = await listAudit(core, owner, { workspaceId: owner.workspaceId, limit: 2 });
    expect(first.entries.map((entry) => entry.details)).toEqual([
      expect.objectContaining({ from: 'Two', to: 'Three' }),
      expect.objectContaining({ from: 'One', to: 'Two' }),
    ]);
    expect(first.nextBefore).toBe(first.entries[1]?.id);
    const second = await listAudit(core, owner, {
      workspaceId: owner.workspaceId,
      limit: 2,
      before: first.nextBefore ?? undefined,
    });
    expect(second.entries[0]?.details).toMatchObject({ to: 'One' });
    expect(second.entries.every((entry) => entry.workspaceId === owner.workspaceId)).toBe(true);
    const all = await listAudit(core, owner, { workspaceId: owner.workspaceId, limit: 200 });
    expect(all.nextBefore).toBeNull();
    expect(JSON.stringify(all)).not.toMatch(/sb[pkis]_[0-9a-z]{40}/);

    const editor = await memberWithRole(core, owner, 'editor');
    await expectCoreError(
      listAudit(core, editor, { workspaceId: editor.workspaceId, limit: 10 }),
      'FORBIDDEN',
    );
    const error = await expectCoreError(
      listAudit(core, owner, { workspaceId: owner.workspaceId, limit: 0 }),
      'BAD_REQUEST',
    );
    expect(error.fieldErrors).toHaveProperty('limit');
    await expectCoreError(
      listAudit(core, owner, { workspaceId: owner.workspaceId, limit: 5, before: 'aud_unknown' }),
      'BAD_REQUEST',
    );
  });
});
