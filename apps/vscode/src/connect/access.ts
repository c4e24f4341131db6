import type { RouterOutputs } from '@switchboard/client';
import * as vscode from 'vscode';

type Me = RouterOutputs['auth']['me'];
/** A workspace role (`owner`, `admin`, `editor`, `member`). */
export type Role = Me['workspaces'][number]['role'];
/** A permission of the server's table, also the name of a token scope (`read`, `api-keys.own`, `manage`). */
export type Permission = Me['workspaces'][number]['permissions'][number];

/** What the signed-in principal may do in the connected workspace, as the server said (`auth.me`). */
export interface Access {
  /** The user's role in the workspace. */
  role: Role;
  /** The token's scopes; null for an unscoped token (whatever the role allows). */
  scopes: Permission[] | null;
  /** What role and scopes allow together: the extension offers only these actions. */
  permissions: Permission[];
}

/** The context key the menus and the palette test before offering an owner's or admin's action. */
export const CAN_MANAGE_CONTEXT = 'switchboard.canManage';

/** The access of one workspace entry of `auth.me`. */
export function accessOf(entry: Me['workspaces'][number], scopes: Me['scopes']): Access {
  // A server older than `permissions` (and `scopes`) had no scoped tokens: the role decides alone.
  const permissions: Permission[] =
    entry.permissions ??
    (entry.role === 'owner' || entry.role === 'admin'
      ? ['read', 'api-keys.own', 'manage']
      : entry.role === 'editor'
        ? ['read', 'api-keys.own']
        : ['read']);
  return { role: entry.role, scopes: scopes ?? null, permissions };
}

/** True when the access allows `permission`. */
export const allows = (access: Access, permission: Permission): boolean =>
  access.permissions.includes(permission);

/** True when both describe the same rights (a notice that changed nothing leaves the views alone). */
export const sameAccess = (a: Access, b: Access): boolean =>
  a.role === b.role &&
  a.permissions.join(' ') === b.permissions.join(' ') &&
  (a.scopes ?? []).join(' ') === (b.scopes ?? []).join(' ') &&
  (a.scopes === null) === (b.scopes === null);

/**
 * Why the principal may not manage the workspace (switch keys, set defaults, add or change keys
 * and models), or undefined when it may. Names the cause: the role, or the token's scopes.
 */
export function manageRefusal(access: Access, workspaceName: string): string | undefined {
  if (allows(access, 'manage')) return undefined;
  if (access.role !== 'owner' && access.role !== 'admin')
    return vscode.l10n.t(
      'Only owners and admins of {0} can do this; your role is {1}.',
      workspaceName,
      access.role,
    );
  return vscode.l10n.t(
    'This personal access token is limited to {0}, without the manage scope: sign in with a token that has it to do this in {1}.',
    (access.scopes ?? []).join(', '),
    workspaceName,
  );
}
