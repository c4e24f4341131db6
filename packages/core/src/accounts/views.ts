import { type Permission, parseScopes, type Role } from '../access.ts';
import type {
  ApiKeyRow,
  AuditLogRow,
  InvitationRow,
  PersonalAccessTokenRow,
  UserRow,
  WorkspaceRow,
} from '../db/schema.ts';
import type { ApiKeyUsage } from './api-key-counters.ts';
import { type ApiKeyLimits, limitsOfRow } from './api-key-limits.ts';
import { displayPrefix } from './secrets.ts';

/** A user as the API shows it: never the password hash. */
export interface UserView {
  id: string;
  email: string;
  name: string;
  createdAt: string;
}

/** A workspace; `version` is sent back with changes to detect concurrent edits. */
export interface WorkspaceView {
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** A personal access token without its secret: `prefix` is `sbp_ab12…`. */
export interface TokenView {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  /** When the token stops working by itself; null: never. */
  expiresAt: string | null;
  /** The permissions the token is limited to; null: whatever its user's role allows. */
  scopes: Permission[] | null;
}

/** A workspace API key without its secret: `prefix` is `sbk_ab12…`. */
export interface ApiKeyView {
  id: string;
  workspaceId: string;
  name: string;
  prefix: string;
  /** User id of the creator, or `system:<label>` when made by the CLI. */
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  /** What the key may reach and spend (decision 0026). */
  limits: ApiKeyLimits;
  /**
   * Its use of the current UTC minute and month, counted for keys with a requests, tokens or
   * budget limit; null for a key without any (nothing is counted for it).
   */
  usage: ApiKeyUsage | null;
  version: number;
}

/** A member of a workspace; `id` is the member id used by role changes and removal. */
export interface MemberView {
  id: string;
  workspaceId: string;
  userId: string;
  email: string;
  name: string;
  role: Role;
  createdAt: string;
  version: number;
}

/** A pending or settled invitation, without its token. */
export interface InvitationView {
  id: string;
  workspaceId: string;
  email: string;
  role: Role;
  invitedBy: string;
  createdAt: string;
  expiresAt: string;
  acceptedAt: string | null;
  revokedAt: string | null;
}

/** One audit log entry. `details` never holds a secret. */
export interface AuditView {
  id: string;
  workspaceId: string | null;
  actorUserId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  details: Record<string, unknown>;
  createdAt: string;
}

/** A user row as the API shows it. */
export const toUserView = (row: UserRow): UserView => ({
  id: row.id,
  email: row.email,
  name: row.name,
  createdAt: row.created_at,
});

/** A workspace row as the API shows it. */
export const toWorkspaceView = (row: WorkspaceRow): WorkspaceView => ({
  id: row.id,
  name: row.name,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  version: Number(row.version),
});

/** A token row as the API shows it (no hash). */
export const toTokenView = (row: PersonalAccessTokenRow): TokenView => ({
  id: row.id,
  name: row.name,
  prefix: displayPrefix(row.token_prefix),
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  revokedAt: row.revoked_at,
  expiresAt: row.expires_at,
  scopes: parseScopes(row.scopes) ?? null,
});

/** An API key row as the API shows it (no hash). */
export const toApiKeyView = (row: ApiKeyRow): ApiKeyView => ({
  id: row.id,
  workspaceId: row.workspace_id,
  name: row.name,
  prefix: displayPrefix(row.token_prefix),
  createdBy: row.created_by,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  revokedAt: row.revoked_at,
  limits: limitsOfRow(row),
  usage:
    row.requests_per_minute !== null || row.tokens_per_minute !== null || row.monthly_budget_nanos !== null
      ? { requestsThisMinute: 0, tokensThisMinute: 0, spendThisMonth: 0 }
      : null,
  version: Number(row.version),
});

/** An invitation row as the API shows it (no hash). */
export const toInvitationView = (row: InvitationRow): InvitationView => ({
  id: row.id,
  workspaceId: row.workspace_id,
  email: row.email,
  role: row.role,
  invitedBy: row.invited_by,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  acceptedAt: row.accepted_at,
  revokedAt: row.revoked_at,
});

/** An audit row as the API shows it, details parsed. */
export const toAuditView = (row: AuditLogRow): AuditView => ({
  id: row.id,
  workspaceId: row.workspace_id,
  actorUserId: row.actor_user_id,
  action: row.action,
  targetType: row.target_type,
  targetId: row.target_id,
  details: JSON.parse(row.details) as Record<string, unknown>,
  createdAt: row.created_at,
});
