import { assertAdmin, type Membership, ROLES, requireAdmin, type Role } from '../access.ts';
import { recordAudit } from '../audit.ts';
import type { Core } from '../core.ts';
import type { Trx } from '../db/schema.ts';
import { CoreError, conflict, forbidden, notFound } from '../errors.ts';
import { newId, nowIso } from '../ids.ts';
import { hashPassword } from './passwords.ts';
import { hashSecret, looksLikeSecret, newSecret } from './secrets.ts';
import { isUniqueViolation, publishChange } from './shared.ts';
import { findUserRowByEmail, findUserRowById, insertUser } from './user-repository.ts';
import { InputCheck } from './validation.ts';
import {
  type InvitationView,
  type MemberView,
  toInvitationView,
  toUserView,
  toWorkspaceView,
  type UserView,
  type WorkspaceView,
} from './views.ts';
import {
  countOwners,
  deleteMember,
  findInvitationByHash,
  findMemberRow,
  findMemberRowByUser,
  findWorkspaceRow,
  insertInvitation,
  insertMember,
  listMemberRowsWithUsers,
  listPendingInvitationRows,
  lockWorkspace,
  markInvitationAccepted,
  revokePendingInvitationsFor,
  updateMemberRole,
} from './workspace-repository.ts';

/** How long an invitation link stays valid. */
const INVITATION_LIFETIME_MS = 7 * 24 * 60 * 60_000;

/** What `addMember` did: added an existing user, or invited an unknown email (the token is shown once). */
export type AddMemberResult =
  | { kind: 'member'; member: MemberView }
  | { kind: 'invitation'; invitation: InvitationView; token: string };

/** The workspace and role an accepted invitation led to. */
export interface AcceptedInvitation {
  user: UserView;
  workspace: WorkspaceView;
  member: MemberView;
}

function checkRole(check: InputCheck, field: string, role: unknown): Role {
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
    check.fail(field, `Role must be one of ${ROLES.join(', ')}`);
    return 'member';
  }
  return role as Role;
}

const toMemberView = (row: Awaited<ReturnType<typeof listMemberRowsWithUsers>>[number]): MemberView => ({
  id: row.id,
  workspaceId: row.workspace_id,
  userId: row.user_id,
  email: row.email,
  name: row.name,
  role: row.role,
  createdAt: row.created_at,
  version: Number(row.version),
});

async function memberView(trx: Trx, workspaceId: string, memberId: string): Promise<MemberView> {
  const [row] = await listMemberRowsWithUsers(trx, workspaceId, memberId);
  if (!row) throw notFound('Member');
  return toMemberView(row);
}

/**
 * Locks the workspace and re-reads the actor's role inside the transaction, so a
 * decision is never made on a role that changed since the request began.
 */
async function lockAsAdmin(trx: Trx, admin: Membership): Promise<Membership> {
  if (!(await lockWorkspace(trx, admin.workspaceId))) throw notFound('Workspace');
  return requireAdmin(trx, admin.userId, admin.workspaceId);
}

/** Members of the workspace with email, name and role; any member may list them. */
export async function listMembers(core: Core, member: Membership): Promise<MemberView[]> {
  return (await listMemberRowsWithUsers(core.db, member.workspaceId)).map(toMemberView);
}

/** Pending invitations of the workspace (owner or admin). */
export async function listInvitations(core: Core, admin: Membership): Promise<InvitationView[]> {
  assertAdmin(admin);
  return (await listPendingInvitationRows(core.db, admin.workspaceId, nowIso())).map(toInvitationView);
}

/**
 * Adds a user by email (owner or admin). An existing account joins at once; an
 * unknown email gets an invitation whose token is returned here only. Only an owner
 * may grant the owner role.
 */
export async function addMember(
  core: Core,
  admin: Membership,
  input: { email: string; role: Role },
): Promise<AddMemberResult> {
  assertAdmin(admin);
  const check = new InputCheck();
  const email = check.email('email', input.email);
  const role = checkRole(check, 'role', input.role);
  check.done();
  const result = await core.db.transaction().execute(async (trx): Promise<AddMemberResult> => {
    const actor = await lockAsAdmin(trx, admin);
    if (role === 'owner' && actor.role !== 'owner')
      throw forbidden('Only an owner can make someone an owner');
    const now = nowIso();
    const user = await findUserRowByEmail(trx, email);
    if (user) {
      if (await findMemberRowByUser(trx, admin.workspaceId, user.id))
        throw conflict(`${email} is already a member of this workspace`);
      const row = await insertMember(trx, {
        id: newId('mem'),
        workspace_id: admin.workspaceId,
        user_id: user.id,
        role,
        created_at: now,
        updated_at: now,
      });
      await recordAudit(trx, {
        workspaceId: admin.workspaceId,
        actor: { kind: 'user', userId: admin.userId },
        action: 'member.add',
        targetType: 'member',
        targetId: row.id,
        details: { userId: user.id, email, role },
      });
      return { kind: 'member', member: await memberView(trx, admin.workspaceId, row.id) };
    }
    await revokePendingInvitationsFor(trx, admin.workspaceId, email, now);
    const secret = newSecret('sbi_');
    const invitation = {
      id: newId('inv'),
      workspace_id: admin.workspaceId,
      email,
      role,
      token_hash: secret.hash,
      invited_by: admin.userId,
      created_at: now,
      expires_at: new Date(Date.parse(now) + INVITATION_LIFETIME_MS).toISOString(),
      accepted_at: null,
      revoked_at: null,
    };
    await insertInvitation(trx, invitation);
    await recordAudit(trx, {
      workspaceId: admin.workspaceId,
      actor: { kind: 'user', userId: admin.userId },
      action: 'member.invite',
      targetType: 'invitation',
      targetId: invitation.id,
      details: { email, role },
    });
    return { kind: 'invitation', invitation: toInvitationView(invitation), token: secret.secret };
  });
  publishChange(
    core,
    admin.workspaceId,
    'member',
    result.kind === 'member' ? result.member.id : result.invitation.id,
    result.kind === 'member' ? 'member.add' : 'member.invite',
  );
  return result;
}

// Every invitation failure gets the same answer, so a token cannot be probed for state.
const invalidInvitation = () => new CoreError('NOT_FOUND', 'Invitation not found, already used or expired');

async function joinByInvitation(
  trx: Trx,
  token: string,
  resolveUser: (email: string) => Promise<{ id: string; email: string }>,
) {
  if (!looksLikeSecret('sbi_', token)) throw invalidInvitation();
  const invitation = await findInvitationByHash(trx, hashSecret(token));
  const now = nowIso();
  if (!invitation || invitation.accepted_at || invitation.revoked_at || invitation.expires_at <= now)
    throw invalidInvitation();
  if (!(await markInvitationAccepted(trx, invitation.id, now))) throw invalidInvitation();
  const user = await resolveUser(invitation.email);
  if (await findMemberRowByUser(trx, invitation.workspace_id, user.id))
    throw conflict('You are already a member of this workspace');
  const member = await insertMember(trx, {
    id: newId('mem'),
    workspace_id: invitation.workspace_id,
    user_id: user.id,
    role: invitation.role,
    created_at: now,
    updated_at: now,
  });
  await recordAudit(trx, {
    workspaceId: invitation.workspace_id,
    actor: { kind: 'user', userId: user.id },
    action: 'member.join',
    targetType: 'member',
    targetId: member.id,
    details: { userId: user.id, email: user.email, role: invitation.role, invitationId: invitation.id },
  });
  const workspace = await findWorkspaceRow(trx, invitation.workspace_id);
  if (!workspace) throw invalidInvitation();
  const userRow = await findUserRowById(trx, user.id);
  if (!userRow) throw invalidInvitation();
  return {
    user: toUserView(userRow),
    workspace: toWorkspaceView(workspace),
    member: await memberView(trx, invitation.workspace_id, member.id),
  };
}

async function assertPendingInvitation(core: Core, token: string): Promise<void> {
  const invitation = looksLikeSecret('sbi_', token)
    ? await findInvitationByHash(core.db, hashSecret(token))
    : undefined;
  if (!invitation || invitation.accepted_at || invitation.revoked_at || invitation.expires_at <= nowIso()) {
    throw invalidInvitation();
  }
}

/** Runs a join; a unique-key race (the same account or membership made at once elsewhere) is a CONFLICT. */
async function joinTransaction(
  core: Core,
  join: (trx: Trx) => Promise<AcceptedInvitation>,
): Promise<AcceptedInvitation> {
  try {
    return await core.db.transaction().execute(join);
  } catch (error) {
    if (isUniqueViolation(error))
      throw conflict('This account or membership was just created; sign in and try again');
    throw error;
  }
}

/**
 * Accepts an invitation by creating the invited email's account (with this name and
 * password) and its membership. An email that already has an account must sign in
 * and use `acceptInvitationAsUser`.
 */
export async function acceptInvitation(
  core: Core,
  input: { token: string; name: string; password: string },
): Promise<AcceptedInvitation> {
  const check = new InputCheck();
  const token = check.required('token', input.token, 'Invitation token');
  const name = check.name('name', input.name);
  const password = check.password('password', input.password);
  check.done();
  // Cheap refusal first: a public endpoint must not spend scrypt work on a made-up token.
  await assertPendingInvitation(core, token);
  const passwordHash = await hashPassword(password);
  const result = await joinTransaction(core, (trx) =>
    joinByInvitation(trx, token, async (email) => {
      if (await findUserRowByEmail(trx, email))
        throw conflict('An account with this email exists: sign in, then accept the invitation');
      const now = nowIso();
      const user = await insertUser(trx, {
        id: newId('usr'),
        email,
        name,
        password_hash: passwordHash,
        created_at: now,
        updated_at: now,
      });
      await recordAudit(trx, {
        workspaceId: null,
        actor: { kind: 'user', userId: user.id },
        action: 'user.create',
        targetType: 'user',
        targetId: user.id,
        details: { email },
      });
      return user;
    }),
  );
  publishChange(core, result.workspace.id, 'member', result.member.id, 'member.join');
  return result;
}

/** Accepts an invitation as a signed-in user; the invitation must be for that user's email. */
export async function acceptInvitationAsUser(
  core: Core,
  userId: string,
  token: string,
): Promise<AcceptedInvitation> {
  const check = new InputCheck();
  const checkedToken = check.required('token', token, 'Invitation token');
  check.done();
  const result = await joinTransaction(core, (trx) =>
    joinByInvitation(trx, checkedToken, async (email) => {
      const user = await findUserRowById(trx, userId);
      if (!user || user.email !== email) throw invalidInvitation();
      return user;
    }),
  );
  publishChange(core, result.workspace.id, 'member', result.member.id, 'member.join');
  return result;
}

/**
 * Changes a member's role (owner or admin). Only an owner may grant or take away the
 * owner role, and the last owner cannot be demoted. A stale `version` is a CONFLICT.
 */
export async function changeRole(
  core: Core,
  admin: Membership,
  input: { memberId: string; role: Role; version: number },
): Promise<MemberView> {
  assertAdmin(admin);
  const check = new InputCheck();
  const memberId = check.required('memberId', input.memberId, 'Member');
  const role = checkRole(check, 'role', input.role);
  const version = check.version('version', input.version);
  check.done();
  const result = await core.db.transaction().execute(async (trx) => {
    const actor = await lockAsAdmin(trx, admin);
    const target = await findMemberRow(trx, admin.workspaceId, memberId);
    if (!target) throw notFound('Member');
    if ((role === 'owner' || target.role === 'owner') && actor.role !== 'owner') {
      throw forbidden('Only an owner can grant or remove the owner role');
    }
    if (Number(target.version) !== version)
      throw conflict('The member was changed by someone else; reload and try again');
    if (target.role === role)
      return { view: await memberView(trx, admin.workspaceId, target.id), changed: false };
    if (target.role === 'owner' && (await countOwners(trx, admin.workspaceId)) <= 1) {
      throw conflict('A workspace must keep at least one owner: make someone else owner first');
    }
    if (!(await updateMemberRole(trx, target.id, role, version, nowIso()))) {
      throw conflict('The member was changed by someone else; reload and try again');
    }
    await recordAudit(trx, {
      workspaceId: admin.workspaceId,
      actor: { kind: 'user', userId: admin.userId },
      action: 'member.role_change',
      targetType: 'member',
      targetId: target.id,
      details: { userId: target.user_id, from: target.role, to: role },
    });
    return { view: await memberView(trx, admin.workspaceId, target.id), changed: true };
  });
  if (result.changed) publishChange(core, admin.workspaceId, 'member', result.view.id, 'member.role_change');
  return result.view;
}

/** Removes a member (owner or admin; removing an owner takes an owner). The last owner cannot be removed. */
export async function removeMember(core: Core, admin: Membership, memberId: string): Promise<void> {
  assertAdmin(admin);
  const check = new InputCheck();
  const id = check.required('memberId', memberId, 'Member');
  check.done();
  await core.db.transaction().execute(async (trx) => {
    const actor = await lockAsAdmin(trx, admin);
    const target = await findMemberRow(trx, admin.workspaceId, id);
    if (!target) throw notFound('Member');
    if (target.role === 'owner' && actor.role !== 'owner')
      throw forbidden('Only an owner can remove an owner');
    if (target.role === 'owner' && (await countOwners(trx, admin.workspaceId)) <= 1) {
      throw conflict('A workspace must keep at least one owner: the last owner cannot be removed');
    }
    await deleteMember(trx, target.id);
    await recordAudit(trx, {
      workspaceId: admin.workspaceId,
      actor: { kind: 'user', userId: admin.userId },
      action: 'member.remove',
      targetType: 'member',
      targetId: target.id,
      details: { userId: target.user_id, role: target.role },
    });
  });
  publishChange(core, admin.workspaceId, 'member', id, 'member.remove');
}
