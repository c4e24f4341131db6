import type { Generated, Insertable, Kysely, Selectable, Transaction, Updateable } from 'kysely';

// Booleans are stored as integers (0/1) and times as ISO-8601 text, so that one
// set of migrations and queries works on SQLite and PostgreSQL alike.

export interface UsersTable {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  created_at: string;
  updated_at: string;
  version: Generated<number>;
}

export interface SessionsTable {
  id: string;
  /** SHA-256 of the cookie value; the value itself is never stored. */
  token_hash: string;
  user_id: string;
  created_at: string;
  expires_at: string;
  last_used_at: string;
}

export interface PersonalAccessTokensTable {
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  /** First characters of the token (`sbp_ab12`), to tell tokens apart in lists. */
  token_prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface WorkspacesTable {
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
  version: Generated<number>;
}

export interface WorkspaceMembersTable {
  id: string;
  workspace_id: string;
  user_id: string;
  role: 'owner' | 'admin' | 'editor' | 'member';
  created_at: string;
  updated_at: string;
  version: Generated<number>;
}

export interface InvitationsTable {
  id: string;
  workspace_id: string;
  email: string;
  role: 'owner' | 'admin' | 'editor' | 'member';
  token_hash: string;
  invited_by: string;
  created_at: string;
  expires_at: string;
  accepted_at: string | null;
  revoked_at: string | null;
}

export interface ApiKeysTable {
  id: string;
  workspace_id: string;
  name: string;
  token_hash: string;
  token_prefix: string;
  created_by: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface AuditLogTable {
  id: string;
  workspace_id: string | null;
  actor_user_id: string | null;
  /** Dotted verb such as `credential.create`. */
  action: string;
  target_type: string;
  target_id: string | null;
  /** JSON object with what changed; never a secret. */
  details: string;
  created_at: string;
}

export interface WorkspaceKeysTable {
  workspace_id: string;
  /** The workspace's data key, AES-256-GCM-wrapped by the master key. */
  wrapped_key: string;
  /** Fingerprint of the master key that wrapped it. */
  master_key_id: string;
  created_at: string;
  updated_at: string;
}

export interface MetaTable {
  key: string;
  value: string;
}

/** The change outbox SQLite processes poll to hear each other's changes (unused on PostgreSQL). */
export interface ChangesTable {
  /** Numbered by SQLite (`integer primary key`); readers remember the last one they saw. */
  seq: Generated<number>;
  workspace_id: string;
  kind: string;
  record_id: string | null;
  action: string;
  at: string;
  /** Instance id of the process that published the change. */
  origin: string;
}

/** Every table; later migrations add theirs here. */
export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  personal_access_tokens: PersonalAccessTokensTable;
  workspaces: WorkspacesTable;
  workspace_members: WorkspaceMembersTable;
  invitations: InvitationsTable;
  api_keys: ApiKeysTable;
  audit_log: AuditLogTable;
  workspace_keys: WorkspaceKeysTable;
  meta: MetaTable;
  changes: ChangesTable;
}

/** The database, or a transaction on it: repositories accept either unless they need atomicity. */
export type Db = Kysely<Database>;
export type Trx = Transaction<Database>;
export type DbOrTrx = Db | Trx;

export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;
export type PersonalAccessTokenRow = Selectable<PersonalAccessTokensTable>;
export type WorkspaceRow = Selectable<WorkspacesTable>;
export type WorkspaceMemberRow = Selectable<WorkspaceMembersTable>;
export type InvitationRow = Selectable<InvitationsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type AuditLogRow = Selectable<AuditLogTable>;
export type WorkspaceKeyRow = Selectable<WorkspaceKeysTable>;
export type ChangeRow = Selectable<ChangesTable>;
