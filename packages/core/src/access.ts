import type { DbOrTrx, WorkspaceMemberRow } from './db/schema.ts';
import { forbidden, notFound } from './errors.ts';

/** Workspace roles, most powerful first. */
export const ROLES = ['owner', 'admin', 'editor', 'member'] as const;
export type Role = (typeof ROLES)[number];

/** Who is acting: a signed-in user (console, client, VS Code, CLI as a named user), or the CLI as operator. */
export type Actor = { kind: 'user'; userId: string } | { kind: 'system'; label: string };

/** A verified member of one workspace: what workspace-scoped services receive. */
export interface Membership {
  workspaceId: string;
  userId: string;
  memberId: string;
  role: Role;
}

export const isAdminRole = (role: Role) => role === 'owner' || role === 'admin';

/**
 * The caller's membership of a workspace. A non-member gets NOT_FOUND, the same
 * answer as for a workspace that does not exist, so ids cannot be probed.
 */
export async function requireMember(db: DbOrTrx, userId: string, workspaceId: string): Promise<Membership> {
  const row: Pick<WorkspaceMemberRow, 'id' | 'role'> | undefined = await db
    .selectFrom('workspace_members')
    .select(['id', 'role'])
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (!row) throw notFound('Workspace');
  return { workspaceId, userId, memberId: row.id, role: row.role };
}

/** Throws FORBIDDEN unless the member is an owner or admin. */
export function assertAdmin(member: Membership): void {
  if (!isAdminRole(member.role)) throw forbidden();
}

/** Membership check plus the owner/admin rule, for changes. */
export async function requireAdmin(db: DbOrTrx, userId: string, workspaceId: string): Promise<Membership> {
  const member = await requireMember(db, userId, workspaceId);
  assertAdmin(member);
  return member;
}
