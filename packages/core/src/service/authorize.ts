import {
  type Actor,
  assertGrants,
  assertScope,
  type Permission,
  requireMember,
  type Role,
} from '../access.ts';
import type { Core } from '../core.ts';
import type { DbOrTrx } from '../db/schema.ts';
import { notFound } from '../errors.ts';

/** The workspace a service call is about: part of every workspace-scoped input. */
export interface WorkspaceRef {
  workspaceId: string;
}

/** The caller's access to one workspace, as `authorize` found it: read once per service call. */
export interface Access {
  workspaceId: string;
  actor: Actor;
  /** The caller's role; the system actor (the CLI, run by the server's operator) counts as owner. */
  role: Role;
  /** The caller's user id; null for the system actor. */
  userId: string | null;
  /** The caller's member id; null for the system actor. */
  memberId: string | null;
}

/**
 * What a service needs of the caller: a permission of `PERMISSIONS`. `false` and `true` are
 * short for `read` and `manage`.
 */
export type Need = Permission | boolean;

/**
 * Reads the caller's membership of the workspace once and checks it grants `need`; returns
 * the access so the service never reads the membership again. A non-member gets NOT_FOUND,
 * as for a workspace that does not exist, so ids cannot be probed; a member without the
 * permission gets FORBIDDEN, and so does a token whose scopes do not include it. Pass the transaction as `db` when the decision must hold until
 * the write commits (member changes lock the workspace first).
 */
export async function authorize(
  core: Core,
  actor: Actor,
  workspaceId: string,
  need: Need,
  db: DbOrTrx = core.db,
): Promise<Access> {
  const permission: Permission = need === true ? 'manage' : need === false ? 'read' : need;
  if (actor.kind === 'user') {
    const member = await requireMember(db, actor.userId, workspaceId);
    assertGrants(member.role, permission);
    assertScope(actor, permission);
    return { workspaceId, actor, role: member.role, userId: actor.userId, memberId: member.memberId };
  }
  const workspace = await db
    .selectFrom('workspaces')
    .select('id')
    .where('id', '=', workspaceId)
    .executeTakeFirst();
  if (!workspace) throw notFound('Workspace');
  return { workspaceId, actor, role: 'owner', userId: null, memberId: null };
}
