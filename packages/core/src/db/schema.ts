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
  /** When the token stops working by itself; null: never. */
  expires_at: string | null;
  /** Space-separated permissions the token is limited to (`read api-keys.own`); null: all its user's role allows. */
  scopes: string | null;
}

export interface WorkspacesTable {
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
  version: Generated<number>;
  /** Days a stored Responses API response is kept (0: responses are not stored). */
  response_retention_days: Generated<number>;
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
  /** JSON array of `provider/model` or `provider/*` the key may reach; null: every model. */
  models: string | null;
  /** JSON object of provider id to the one credential id the key uses for it; null: none pinned. */
  credential_pins: string | null;
  requests_per_minute: number | null;
  tokens_per_minute: number | null;
  /** Monthly budget in nano-units of the catalog currency (USD); bigint, so a string on PostgreSQL. */
  monthly_budget_nanos: number | string | null;
  version: Generated<number>;
}

/** The shared per-key counters: the current minute's requests and tokens and the month's spend. */
export interface ApiKeyCountersTable {
  api_key_id: string;
  /** `YYYY-MM-DDTHH:MM` (UTC) the request and token counts belong to. */
  minute: string;
  requests: number;
  tokens: number | string;
  /** Requests of the minute before `minute` (0 when that minute saw none). */
  previous_requests: number;
  /** Tokens of the minute before `minute`. */
  previous_tokens: number | string;
  /** `YYYY-MM` (UTC) the spend belongs to. */
  month: string;
  cost_nanos: number | string;
}

/** What an admin allows editors' API keys (one row per workspace; none: no restriction). */
export interface ApiKeyPoliciesTable {
  workspace_id: string;
  /** JSON array of patterns editors' keys must stay within; null: any model. */
  models: string | null;
  max_requests_per_minute: number | null;
  max_tokens_per_minute: number | null;
  max_monthly_budget_nanos: number | string | null;
  updated_at: string;
  version: Generated<number>;
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

/** A provider a workspace installed from the catalog. */
export interface ProviderInstallsTable {
  id: string;
  workspace_id: string;
  provider: string;
  created_at: string;
  updated_at: string;
  version: Generated<number>;
}

/** A credential of a provider (scope '') or of one custom model (scope `type/model`). */
export interface ProviderCredentialsTable {
  id: string;
  workspace_id: string;
  provider: string;
  scope: string;
  model: string | null;
  model_type: string | null;
  name: string;
  /** JSON object of the non-secret form values. */
  plain_values: string;
  /** JSON object of secret field id to sealed ciphertext. */
  sealed_values: string;
  /** JSON object of secret field id to its masked form, so lists never decrypt. */
  masked_values: string;
  is_active: number;
  /** `valid` or `invalid`, from the last real validation. */
  status: string;
  status_reason: string | null;
  validated_at: string | null;
  /** When a real check (creation, a changed key, a revalidation) last found it valid; kept when a later one fails. */
  last_valid_at: string | null;
  created_at: string;
  updated_at: string;
  version: Generated<number>;
}

/** A custom or discovered model; removed models keep their row (and credentials) for re-adding. */
export interface CustomModelsTable {
  id: string;
  workspace_id: string;
  provider: string;
  model: string;
  model_type: string;
  /** `custom` or `discovered`. */
  source: string;
  /** The admin's price, JSON in the catalog's `ModelPricing` shape (USD per million tokens); null: no price. */
  pricing: string | null;
  removed_at: string | null;
  created_at: string;
  updated_at: string;
  version: Generated<number>;
}

/** Per-model settings: enabled, load balancing (JSON array of { credentialId, weight }). */
export interface ModelSettingsTable {
  id: string;
  workspace_id: string;
  provider: string;
  model: string;
  model_type: string;
  enabled: number;
  load_balancing_enabled: number;
  load_balancing: string;
  created_at: string;
  updated_at: string;
  version: Generated<number>;
}

/** The workspace's default model of one type. */
export interface DefaultModelsTable {
  workspace_id: string;
  model_type: string;
  provider: string;
  model: string;
  created_at: string;
  updated_at: string;
  version: Generated<number>;
}

/** A credential the gateway rests after failures, until `until`. */
export interface CredentialCooldownsTable {
  credential_id: string;
  workspace_id: string;
  until: string;
  reason: string;
  failures: number;
  updated_at: string;
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

/** One gateway call: who, which model and key, tokens, timing, outcome. */
export interface UsageEventsTable {
  id: string;
  workspace_id: string;
  api_key_id: string | null;
  user_id: string | null;
  provider: string;
  model: string;
  model_type: string;
  credential_id: string | null;
  tokens_in: number;
  tokens_out: number;
  latency_ms: number;
  /** Time to the first byte sent to the client (streams), in milliseconds. */
  ttfb_ms: number | null;
  /** `ok`, or the error code that ended the call. */
  outcome: string;
  status: number;
  created_at: string;
}

/** A response of the Responses API, kept for `previous_response_id` and GET until it expires. */
export interface StoredResponsesTable {
  id: string;
  workspace_id: string;
  api_key_id: string | null;
  user_id: string | null;
  /** The response object as the API returns it (JSON). */
  body: string;
  /** Every input item the response answered, earlier turns included (JSON array). */
  input_items: string;
  created_at: string;
  expires_at: string;
}

/** One output item of a stored response, by id (for `item_reference` input items). */
export interface StoredResponseItemsTable {
  workspace_id: string;
  id: string;
  response_id: string;
  /** The item as the API returned it (JSON). */
  item: string;
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
  api_key_counters: ApiKeyCountersTable;
  api_key_policies: ApiKeyPoliciesTable;
  audit_log: AuditLogTable;
  workspace_keys: WorkspaceKeysTable;
  meta: MetaTable;
  usage_events: UsageEventsTable;
  changes: ChangesTable;
  provider_installs: ProviderInstallsTable;
  provider_credentials: ProviderCredentialsTable;
  custom_models: CustomModelsTable;
  model_settings: ModelSettingsTable;
  default_models: DefaultModelsTable;
  credential_cooldowns: CredentialCooldownsTable;
  stored_responses: StoredResponsesTable;
  stored_response_items: StoredResponseItemsTable;
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
export type ApiKeyCountersRow = Selectable<ApiKeyCountersTable>;
export type ApiKeyPolicyRow = Selectable<ApiKeyPoliciesTable>;
export type AuditLogRow = Selectable<AuditLogTable>;
export type WorkspaceKeyRow = Selectable<WorkspaceKeysTable>;
export type ChangeRow = Selectable<ChangesTable>;
export type ProviderInstallRow = Selectable<ProviderInstallsTable>;
export type ProviderCredentialRow = Selectable<ProviderCredentialsTable>;
export type CustomModelRow = Selectable<CustomModelsTable>;
export type ModelSettingRow = Selectable<ModelSettingsTable>;
export type DefaultModelRow = Selectable<DefaultModelsTable>;
export type CredentialCooldownRow = Selectable<CredentialCooldownsTable>;
export type UsageEventRow = Selectable<UsageEventsTable>;
export type StoredResponseRow = Selectable<StoredResponsesTable>;
