import { type Kysely, sql } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one.
// Provider management: installs, credentials (provider-level and per custom model),
// custom models, model settings, default models, and the cooldowns the gateway records.

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the app's current schema types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('provider_installs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addUniqueConstraint('provider_installs_unique', ['workspace_id', 'provider'])
    .execute();

  await db.schema
    .createTable('provider_credentials')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('provider', 'text', (c) => c.notNull())
    // '' for a provider credential, `type/model` for a custom model's own credential.
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('model', 'text')
    .addColumn('model_type', 'text')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('plain_values', 'text', (c) => c.notNull())
    .addColumn('sealed_values', 'text', (c) => c.notNull())
    .addColumn('masked_values', 'text', (c) => c.notNull())
    .addColumn('is_active', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_reason', 'text')
    .addColumn('validated_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addUniqueConstraint('provider_credentials_name_unique', ['workspace_id', 'provider', 'scope', 'name'])
    .execute();
  // At most one active credential per provider or model, even with two admins at once.
  await db.schema
    .createIndex('provider_credentials_one_active')
    .on('provider_credentials')
    .columns(['workspace_id', 'provider', 'scope'])
    .unique()
    .where(sql.ref('is_active'), '=', sql.lit(1))
    .execute();
  await db.schema
    .createIndex('provider_credentials_workspace_idx')
    .on('provider_credentials')
    .columns(['workspace_id', 'provider', 'scope'])
    .execute();

  await db.schema
    .createTable('custom_models')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('model_type', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('removed_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addUniqueConstraint('custom_models_unique', ['workspace_id', 'provider', 'model', 'model_type'])
    .execute();

  await db.schema
    .createTable('model_settings')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('model_type', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('load_balancing_enabled', 'integer', (c) => c.notNull().defaultTo(0))
    // JSON array of { credentialId, weight }.
    .addColumn('load_balancing', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addUniqueConstraint('model_settings_unique', ['workspace_id', 'provider', 'model', 'model_type'])
    .execute();

  await db.schema
    .createTable('default_models')
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('model_type', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addPrimaryKeyConstraint('default_models_pk', ['workspace_id', 'model_type'])
    .execute();

  await db.schema
    .createTable('credential_cooldowns')
    .addColumn('credential_id', 'text', (c) =>
      c.primaryKey().references('provider_credentials.id').onDelete('cascade'),
    )
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('until', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('credential_cooldowns_workspace_idx')
    .on('credential_cooldowns')
    .column('workspace_id')
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'credential_cooldowns',
    'default_models',
    'model_settings',
    'custom_models',
    'provider_credentials',
    'provider_installs',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
