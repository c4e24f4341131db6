import type { DbOrTrx, WorkspaceMemberRow } from './db/schema.ts';
import { forbidden, notFound } from './errors.ts';

/** Workspace roles, most powerful first. */
export const ROLES = ['owner', 'admin', 'editor', 'member'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Who is acting: a signed-in user (console, client, VS Code, CLI as a named user), or the CLI as
 * operator. A user acting through a scoped personal access token carries the token's `scopes`:
 * the token may do only what both its scopes and the user's role allow.
 */
export type Actor =
  | { kind: 'user'; userId: string; scopes?: readonly Permission[] | undefined }
  | { kind: 'system'; label: string };

/** How records name who made them: a user id, or `system:<label>` for the CLI. */
export const actorId = (actor: Actor): string =>
  actor.kind === 'user' ? actor.userId : `system:${actor.label}`;

/**
 * What each role may do in a workspace, beyond using its models: the one table every service
 * checks (through `authorize`) and `docs/architecture.md` shows. The system actor (the CLI,
 * run by whoever runs the server) may do everything.
 */
export const PERMISSIONS = {
  /** List providers, models (secrets masked), members, API keys and the API key policy; use the models. */
  read: ['owner', 'admin', 'editor', 'member'],
  /**
   * Create API keys (`sbk_…`) for one's apps, and change the limits of and revoke the keys one
   * created; an editor within the workspace's API key policy.
   */
  'api-keys.own': ['owner', 'admin', 'editor'],
  /** Everything else: providers, credentials, models, defaults, load balancing, members and
   * invitations, renaming, any member's API keys and the API key policy, the audit log and usage. */
  manage: ['owner', 'admin'],
} as const satisfies Record<string, readonly Role[]>;

/** A permission of the table above. */
export type Permission = keyof typeof PERMISSIONS;

/** True when `role` grants `permission`. */
export const roleGrants = (role: Role, permission: Permission): boolean =>
  (PERMISSIONS[permission] as readonly Role[]).includes(role);

/** Message of the FORBIDDEN answer for each permission, saying who may do it. */
const FORBIDDEN_MESSAGES: Record<Permission, string> = {
  read: 'Only members of the workspace can do this',
  'api-keys.own': 'Only an editor, admin or owner can manage API keys',
  manage: 'Only the workspace owner or an admin can do this',
};

/** The scopes a personal access token may carry: the permissions of the table above. */
export const TOKEN_SCOPES = Object.keys(PERMISSIONS) as Permission[];

/** Token scopes as stored (space-separated); undefined for an unscoped token. Unknown words are dropped. */
export function parseScopes(stored: string | null): Permission[] | undefined {
  if (stored === null) return undefined;
  return stored.split(' ').filter((word): word is Permission => (TOKEN_SCOPES as string[]).includes(word));
}

/** What each scope includes: a token that may manage may also create API keys and read. */
const SCOPE_INCLUDES: Record<Permission, readonly Permission[]> = {
  read: ['read'],
  'api-keys.own': ['read', 'api-keys.own'],
  manage: ['read', 'api-keys.own', 'manage'],
};

/** True when an actor's token scopes allow `permission` (a session or an unscoped token: always). */
export function scopesAllow(actor: Actor, permission: Permission): boolean {
  if (actor.kind !== 'user' || actor.scopes === undefined) return true;
  return actor.scopes.some((scope) => SCOPE_INCLUDES[scope].includes(permission));
}

/**
 * What an actor with `role` may do in a workspace: each permission both the role grants and the
 * token's scopes allow (clients show only these actions; the server still checks each call).
 */
export const permissionsOf = (actor: Actor, role: Role): Permission[] =>
  TOKEN_SCOPES.filter((permission) => roleGrants(role, permission) && scopesAllow(actor, permission));

/** Throws FORBIDDEN unless the actor's token scopes allow `permission`, naming the scope needed. */
export function assertScope(actor: Actor, permission: Permission): void {
  if (!scopesAllow(actor, permission))
    throw forbidden(`This personal access token lacks the \`${permission}\` scope`);
}

/** Throws FORBIDDEN unless `role` grants `permission`. */
export function assertGrants(role: Role, permission: Permission): void {
  if (!roleGrants(role, permission)) throw forbidden(FORBIDDEN_MESSAGES[permission]);
}

/** A verified member of one workspace. */
export interface Membership {
  workspaceId: string;
  userId: string;
  memberId: string;
  role: Role;
}

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
