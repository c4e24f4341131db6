import { type Actor, actorId, assertScope, type Role } from '../access.ts';
import type { Core } from '../core.ts';
import type { Trx } from '../db/schema.ts';
import { CoreError, conflict, forbidden, notFound } from '../errors.ts';
import { newId, nowIso } from '../ids.ts';
import { authorize, type WorkspaceRef } from '../service/authorize.ts';
import { InputCheck } from '../service/input.ts';
import { mutate, type RecordChange } from '../service/mutate.ts';
import { newSecret } from './secrets.ts';
import { listActiveApiKeyRowsCreatedBy, setApiKeyRevoked } from './token-repository.ts';
import { findUserRowById } from './user-repository.ts';
import {
  type InvitationView,
  type MemberView,
  toInvitationView,
  toWorkspaceView,
  type WorkspaceView,
} from './views.ts';
import {
  countOwners,
  deleteMember,
  findInvitation,
  findMemberRow,
  findMemberRowByEmail,
  findMemberRowByUser,
  findWorkspaceRow,
  insertInvitation,
  insertMember,
  listMemberRowsWithUsers,
  listPendingInvitationRows,
  listPendingInvitationRowsForEmail,
  lockWorkspace,
  markInvitationAccepted,
  markInvitationRevoked,
  type MemberWithUserRow,
  revokePendingInvitationsFor,
  updateMemberRole,
} from './workspace-repository.ts';

/** How long an invitation stays open. */
const INVITATION_LIFETIME_MS = 7 * 24 * 60 * 60_000;

/** An invitation the signed-in user may accept, with the workspace it leads to. */
export interface OwnInvitationView extends InvitationView {
  workspaceName: string;
}

/** The workspace and membership an accepted invitation led to. */
export interface AcceptedInvitation {
  workspace: WorkspaceView;
  member: MemberView;
}

const toMemberView = (row: MemberWithUserRow): MemberView => ({
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
 * Locks the workspace, then authorizes inside the same transaction, so a decision about
 * members is never made on a role that changed since the request began (two owners cannot
 * demote each other at once).
 */
async function lockAndAuthorize(core: Core, trx: Trx, actor: Actor, workspaceId: string) {
  if (!(await lockWorkspace(trx, workspaceId))) throw notFound('Workspace');
  return authorize(core, actor, workspaceId, 'manage', trx);
}

/** The signed-in user behind an actor; the CLI acting as operator has no invitations to accept. */
function userIdOf(actor: Actor): string {
  if (actor.kind !== 'user') throw forbidden('Only a signed-in user can accept an invitation');
  return actor.userId;
}

/** Members of the workspace with email, name and role; any member may list them. */
export async function listMembers(core: Core, actor: Actor, input: WorkspaceRef): Promise<MemberView[]> {
  await authorize(core, actor, input.workspaceId, 'read');
  return (await listMemberRowsWithUsers(core.db, input.workspaceId)).map(toMemberView);
}

/** Pending invitations of the workspace (owner or admin). */
export async function listInvitations(
  core: Core,
  actor: Actor,
  input: WorkspaceRef,
): Promise<InvitationView[]> {
  await authorize(core, actor, input.workspaceId, 'manage');
  return (await listPendingInvitationRows(core.db, input.workspaceId, nowIso())).map(toInvitationView);
}

/**
 * Invites an email to the workspace with a role (owner or admin; only an owner may invite an
 * owner). Nobody joins a workspace without saying yes: the invitation waits until the user
 * with that email, signed in, accepts it. An invitation never creates an account (decision 0011):
 * an email without one gets it from the operator (`switchboard user create`) and accepts then.
 * A new invitation for the same email replaces the pending one.
 */
export async function inviteMember(
  core: Core,
  actor: Actor,
  input: WorkspaceRef & { email: string; role: Role },
): Promise<InvitationView> {
  const check = new InputCheck();
  const email = check.email('email', input.email);
  const role = check.role('role', input.role);
  check.done();
  return mutate(core, actor, input.workspaceId, async (trx, record) => {
    const access = await lockAndAuthorize(core, trx, actor, input.workspaceId);
    if (role === 'owner' && access.role !== 'owner') throw forbidden('Only an owner can invite an owner');
    if (await findMemberRowByEmail(trx, input.workspaceId, email))
      throw conflict(`${email} is already a member of this workspace`);
    const now = nowIso();
    await revokePendingInvitationsFor(trx, input.workspaceId, email, now);
    const invitation = {
      id: newId('inv'),
      workspace_id: input.workspaceId,
      email,
      role,
      // The column predates accepting by sign-in; a random value, never shown, keeps it unique.
      token_hash: newSecret('sbi_').hash,
      invited_by: actorId(actor),
      created_at: now,
      expires_at: new Date(Date.parse(now) + INVITATION_LIFETIME_MS).toISOString(),
      accepted_at: null,
      revoked_at: null,
    };
    await insertInvitation(trx, invitation);
    await record({
      kind: 'member',
      action: 'member.invite',
      targetType: 'invitation',
      targetId: invitation.id,
      details: { email, role },
    });
    return toInvitationView(invitation);
  });
}

/**
 * Takes back a pending invitation (owner or admin): its link then finds nothing and it can no
 * longer be accepted. Another workspace's invitation, or one already accepted, revoked or
 * expired, is NOT_FOUND. Any manager may revoke any pending invitation, an owner's included:
 * revoking only ever grants less (decision 0028).
 */
export async function revokeInvitation(
  core: Core,
  actor: Actor,
  input: WorkspaceRef & { invitationId: string },
): Promise<InvitationView> {
  const check = new InputCheck();
  const invitationId = check.required('invitationId', input.invitationId, 'Invitation');
  check.done();
  const { workspaceId } = input;
  return mutate(core, actor, workspaceId, async (trx, record) => {
    await lockAndAuthorize(core, trx, actor, workspaceId);
    const now = nowIso();
    // One conditional update: an accept racing with this one finds the invitation taken, or wins.
    if (!(await markInvitationRevoked(trx, workspaceId, invitationId, now)))
      throw notFound('Pending invitation');
    const invitation = await findInvitation(trx, invitationId);
    if (!invitation) throw notFound('Pending invitation');
    await record({
      kind: 'member',
      action: 'member.invitation_revoke',
      targetType: 'invitation',
      targetId: invitation.id,
      details: { email: invitation.email, role: invitation.role },
    });
    return toInvitationView(invitation);
  });
}

/** The signed-in user's pending invitations, newest first, with the name of each workspace. */
export async function listOwnInvitations(core: Core, actor: Actor): Promise<OwnInvitationView[]> {
  const user = await findUserRowById(core.db, userIdOf(actor));
  if (!user) throw notFound('User');
  const rows = await listPendingInvitationRowsForEmail(core.db, user.email, nowIso());
  return rows.map(({ workspace_name, ...row }) => ({
    ...toInvitationView(row),
    workspaceName: workspace_name,
  }));
}

// Every failure gets the same answer, so an invitation id cannot be probed for state.
const invalidInvitation = () =>
  new CoreError('NOT_FOUND', 'Invitation not found, already used, revoked or expired');

/** Accepts one of the signed-in user's own invitations: the user's consent to join. */
export async function acceptInvitation(
  core: Core,
  actor: Actor,
  input: { invitationId: string },
): Promise<AcceptedInvitation> {
  const check = new InputCheck();
  const invitationId = check.required('invitationId', input.invitationId, 'Invitation');
  check.done();
  const userId = userIdOf(actor);
  // Joining a workspace (with the invited role) is more than a scoped token was made for.
  assertScope(actor, 'manage');
  const invitation = await findInvitation(core.db, invitationId);
  if (!invitation) throw invalidInvitation();
  return mutate(core, actor, invitation.workspace_id, async (trx, record) => {
    const user = await findUserRowById(trx, userId);
    const now = nowIso();
    if (
      !user ||
      user.email !== invitation.email ||
      invitation.expires_at <= now ||
      !(await markInvitationAccepted(trx, invitation.id, now))
    )
      throw invalidInvitation();
    if (await findMemberRowByUser(trx, invitation.workspace_id, userId))
      throw conflict('You are already a member of this workspace');
    const member = await insertMember(trx, {
      id: newId('mem'),
      workspace_id: invitation.workspace_id,
      user_id: userId,
      role: invitation.role,
      created_at: now,
      updated_at: now,
    });
    await record({
      kind: 'member',
      action: 'member.join',
      targetType: 'member',
      targetId: member.id,
      details: { userId, email: user.email, role: invitation.role, invitationId: invitation.id },
    });
    const workspace = await findWorkspaceRow(trx, invitation.workspace_id);
    if (!workspace) throw invalidInvitation();
    return {
      workspace: toWorkspaceView(workspace),
      member: await memberView(trx, invitation.workspace_id, member.id),
    };
  });
}

/**
 * Changes a member's role (owner or admin). Only an owner may grant or take away the
 * owner role, and the last owner cannot be demoted. A stale `version` is a CONFLICT.
 */
export async function changeRole(
  core: Core,
  actor: Actor,
  input: WorkspaceRef & { memberId: string; role: Role; version: number },
): Promise<MemberView> {
  const check = new InputCheck();
  const memberId = check.required('memberId', input.memberId, 'Member');
  const role = check.role('role', input.role);
  const version = check.version('version', input.version);
  check.done();
  const { workspaceId } = input;
  return mutate(core, actor, workspaceId, async (trx, record) => {
    const access = await lockAndAuthorize(core, trx, actor, workspaceId);
    const target = await findMemberRow(trx, workspaceId, memberId);
    if (!target) throw notFound('Member');
    if ((role === 'owner' || target.role === 'owner') && access.role !== 'owner') {
      throw forbidden('Only an owner can grant or remove the owner role');
    }
    if (Number(target.version) !== version)
      throw conflict('The member was changed by someone else; reload and try again');
    if (target.role === role) return memberView(trx, workspaceId, target.id);
    if (target.role === 'owner' && (await countOwners(trx, workspaceId)) <= 1) {
      throw conflict('A workspace must keep at least one owner: make someone else owner first');
    }
    if (!(await updateMemberRole(trx, target.id, role, version, nowIso()))) {
      throw conflict('The member was changed by someone else; reload and try again');
    }
    await record({
      kind: 'member',
      action: 'member.role_change',
      targetType: 'member',
      targetId: target.id,
      details: { userId: target.user_id, from: target.role, to: role },
    });
    return memberView(trx, workspaceId, target.id);
  });
}

/**
 * Removes a member (owner or admin; removing an owner takes an owner). The last owner cannot
 * be removed. The API keys the member created in this workspace are revoked with them, each
 * with its own audit entry, so an app they set up stops working when they leave; an admin
 * who wants an app to keep running creates a new key for it first.
 */
export async function removeMember(
  core: Core,
  actor: Actor,
  input: WorkspaceRef & { memberId: string },
): Promise<{ revokedApiKeys: number }> {
  const check = new InputCheck();
  const memberId = check.required('memberId', input.memberId, 'Member');
  check.done();
  const { workspaceId } = input;
  return mutate(core, actor, workspaceId, async (trx, record) => {
    const access = await lockAndAuthorize(core, trx, actor, workspaceId);
    const target = await findMemberRow(trx, workspaceId, memberId);
    if (!target) throw notFound('Member');
    if (target.role === 'owner' && access.role !== 'owner')
      throw forbidden('Only an owner can remove an owner');
    if (target.role === 'owner' && (await countOwners(trx, workspaceId)) <= 1) {
      throw conflict('A workspace must keep at least one owner: the last owner cannot be removed');
    }
    await deleteMember(trx, target.id);
    await record({
      kind: 'member',
      action: 'member.remove',
      targetType: 'member',
      targetId: target.id,
      details: { userId: target.user_id, role: target.role },
    });
    return { revokedApiKeys: await revokeApiKeysOf(trx, record, workspaceId, target.user_id) };
  });
}

async function revokeApiKeysOf(trx: Trx, record: RecordChange, workspaceId: string, userId: string) {
  const keys = await listActiveApiKeyRowsCreatedBy(trx, workspaceId, userId);
  const now = nowIso();
  for (const key of keys) {
    await setApiKeyRevoked(trx, key.id, now);
    await record({
      kind: 'api-key',
      action: 'api_key.revoke',
      targetType: 'api_key',
      targetId: key.id,
      details: { name: key.name, reason: 'creator removed from the workspace' },
    });
  }
  return keys.length;
}
