import type { Role } from '../access.ts';
import type { DbOrTrx, InvitationRow, Trx, WorkspaceMemberRow, WorkspaceRow } from '../db/schema.ts';

/** Days a new workspace keeps Responses API responses (the column's default). */
const DEFAULT_RESPONSE_RETENTION_DAYS = 30;

/** Stores a new workspace and returns the row as stored. */
export async function insertWorkspace(
  db: DbOrTrx,
  row: Omit<WorkspaceRow, 'version' | 'response_retention_days'>,
): Promise<WorkspaceRow> {
  await db.insertInto('workspaces').values(row).execute();
  return { ...row, version: 1, response_retention_days: DEFAULT_RESPONSE_RETENTION_DAYS };
}

/** The workspace with this id. */
export function findWorkspaceRow(db: DbOrTrx, id: string): Promise<WorkspaceRow | undefined> {
  return db.selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Workspaces with exactly this name (names are not unique). */
export function findWorkspaceRowsByName(db: DbOrTrx, name: string): Promise<WorkspaceRow[]> {
  return db.selectFrom('workspaces').selectAll().where('name', '=', name).orderBy('created_at').execute();
}

/** Renames when `version` still matches; returns the new row, or undefined when it was stale. */
export async function renameWorkspaceRow(
  db: DbOrTrx,
  id: string,
  name: string,
  version: number,
  now: string,
): Promise<WorkspaceRow | undefined> {
  const result = await db
    .updateTable('workspaces')
    .set((eb) => ({ name, updated_at: now, version: eb('version', '+', 1) }))
    .where('id', '=', id)
    .where('version', '=', version)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) return undefined;
  return findWorkspaceRow(db, id);
}

/**
 * Takes the workspace row's write lock until the transaction ends (a no-op update
 * locks on PostgreSQL; SQLite runs one writer at a time anyway), so concurrent
 * member changes are checked one after another: two owners cannot demote each other at once.
 */
export async function lockWorkspace(trx: Trx, workspaceId: string): Promise<boolean> {
  const result = await trx
    .updateTable('workspaces')
    .set((eb) => ({ version: eb.ref('version') }))
    .where('id', '=', workspaceId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Workspaces of a user, with the user's role in each. */
export function listWorkspaceRowsOfUser(db: DbOrTrx, userId: string) {
  return db
    .selectFrom('workspaces')
    .innerJoin('workspace_members', 'workspace_members.workspace_id', 'workspaces.id')
    .selectAll('workspaces')
    .select('workspace_members.role')
    .where('workspace_members.user_id', '=', userId)
    .orderBy('workspaces.created_at')
    .orderBy('workspaces.id')
    .execute();
}

/** Stores a new membership and returns the row as stored. */
export async function insertMember(
  db: DbOrTrx,
  row: Omit<WorkspaceMemberRow, 'version'>,
): Promise<WorkspaceMemberRow> {
  await db.insertInto('workspace_members').values(row).execute();
  return { ...row, version: 1 };
}

/** One member of a workspace; another workspace's member is not found. */
export function findMemberRow(
  db: DbOrTrx,
  workspaceId: string,
  memberId: string,
): Promise<WorkspaceMemberRow | undefined> {
  return db
    .selectFrom('workspace_members')
    .selectAll()
    .where('id', '=', memberId)
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
}

/** A user's membership of a workspace. */
export function findMemberRowByUser(db: DbOrTrx, workspaceId: string, userId: string) {
  return db
    .selectFrom('workspace_members')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

/** A member row with its user's email and name. */
export type MemberWithUserRow = WorkspaceMemberRow & { email: string; name: string };

/** The member of a workspace whose user has this (normalized) email. */
export function findMemberRowByEmail(db: DbOrTrx, workspaceId: string, email: string) {
  return db
    .selectFrom('workspace_members')
    .innerJoin('users', 'users.id', 'workspace_members.user_id')
    .select('workspace_members.id')
    .where('workspace_members.workspace_id', '=', workspaceId)
    .where('users.email', '=', email)
    .executeTakeFirst();
}

/** Members with their user's email and name. */
export function listMemberRowsWithUsers(
  db: DbOrTrx,
  workspaceId: string,
  memberId?: string,
): Promise<MemberWithUserRow[]> {
  let query = db
    .selectFrom('workspace_members')
    .innerJoin('users', 'users.id', 'workspace_members.user_id')
    .selectAll('workspace_members')
    .select(['users.email', 'users.name'])
    .where('workspace_members.workspace_id', '=', workspaceId);
  if (memberId) query = query.where('workspace_members.id', '=', memberId);
  return query.orderBy('workspace_members.created_at').orderBy('workspace_members.id').execute();
}

/** How many owners a workspace has. */
export async function countOwners(db: DbOrTrx, workspaceId: string): Promise<number> {
  const row = await db
    .selectFrom('workspace_members')
    .select((eb) => eb.fn.countAll<string | number>().as('count'))
    .where('workspace_id', '=', workspaceId)
    .where('role', '=', 'owner')
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Changes a role when `version` still matches; false when it was stale. */
export async function updateMemberRole(
  db: DbOrTrx,
  memberId: string,
  role: Role,
  version: number,
  now: string,
): Promise<boolean> {
  const result = await db
    .updateTable('workspace_members')
    .set((eb) => ({ role, updated_at: now, version: eb('version', '+', 1) }))
    .where('id', '=', memberId)
    .where('version', '=', version)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Removes a membership. */
export async function deleteMember(db: DbOrTrx, memberId: string): Promise<void> {
  await db.deleteFrom('workspace_members').where('id', '=', memberId).execute();
}

/** Stores a new invitation (its token only as a hash). */
export async function insertInvitation(db: DbOrTrx, row: InvitationRow): Promise<void> {
  await db.insertInto('invitations').values(row).execute();
}

/** The invitation with this id. */
export function findInvitation(db: DbOrTrx, id: string): Promise<InvitationRow | undefined> {
  return db.selectFrom('invitations').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Open invitations for one email across workspaces, newest first, with each workspace's name. */
export function listPendingInvitationRowsForEmail(
  db: DbOrTrx,
  email: string,
  now: string,
): Promise<(InvitationRow & { workspace_name: string })[]> {
  return db
    .selectFrom('invitations')
    .innerJoin('workspaces', 'workspaces.id', 'invitations.workspace_id')
    .selectAll('invitations')
    .select('workspaces.name as workspace_name')
    .where('invitations.email', '=', email)
    .where('invitations.accepted_at', 'is', null)
    .where('invitations.revoked_at', 'is', null)
    .where('invitations.expires_at', '>', now)
    .orderBy('invitations.created_at', 'desc')
    .orderBy('invitations.id', 'desc')
    .execute();
}

/** Invitations of a workspace that are neither accepted, revoked nor expired. */
export function listPendingInvitationRows(
  db: DbOrTrx,
  workspaceId: string,
  now: string,
): Promise<InvitationRow[]> {
  return db
    .selectFrom('invitations')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .orderBy('created_at')
    .execute();
}

/** Revokes the pending invitations of one email (a new invitation replaces them). */
export async function revokePendingInvitationsFor(
  db: DbOrTrx,
  workspaceId: string,
  email: string,
  now: string,
) {
  await db
    .updateTable('invitations')
    .set({ revoked_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('email', '=', email)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .execute();
}

/**
 * Revokes one invitation of the workspace if it is still pending (not accepted, revoked or
 * expired); false when there is no such invitation.
 */
export async function markInvitationRevoked(
  db: DbOrTrx,
  workspaceId: string,
  id: string,
  now: string,
): Promise<boolean> {
  const result = await db
    .updateTable('invitations')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('workspace_id', '=', workspaceId)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Marks an invitation accepted if it is still pending; false when someone else got there first. */
export async function markInvitationAccepted(db: DbOrTrx, id: string, now: string): Promise<boolean> {
  const result = await db
    .updateTable('invitations')
    .set({ accepted_at: now })
    .where('id', '=', id)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
