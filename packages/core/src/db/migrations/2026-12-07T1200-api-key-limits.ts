import type { Kysely } from 'kysely';

// Frozen. Workspace API keys get limits (decision 0026): the models they reach, one pinned
// credential per provider, requests and tokens per minute and a monthly budget. The shared
// counters live in one row per key (the current minute and month), updated atomically so several
// instances share them. Money is in nano-units of the catalog's currency (USD), as bigint: a
// month of spend overflows a 32-bit integer of micro-units.

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the app's current schema types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_keys').addColumn('models', 'text').execute();
  await db.schema.alterTable('api_keys').addColumn('credential_pins', 'text').execute();
  await db.schema.alterTable('api_keys').addColumn('requests_per_minute', 'integer').execute();
  await db.schema.alterTable('api_keys').addColumn('tokens_per_minute', 'integer').execute();
  await db.schema.alterTable('api_keys').addColumn('monthly_budget_nanos', 'bigint').execute();
  await db.schema
    .alterTable('api_keys')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();

  await db.schema
    .createTable('api_key_counters')
    .addColumn('api_key_id', 'text', (c) => c.primaryKey().references('api_keys.id').onDelete('cascade'))
    .addColumn('minute', 'text', (c) => c.notNull())
    .addColumn('requests', 'integer', (c) => c.notNull())
    .addColumn('tokens', 'bigint', (c) => c.notNull())
    .addColumn('month', 'text', (c) => c.notNull())
    .addColumn('cost_nanos', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('api_key_policies')
    .addColumn('workspace_id', 'text', (c) => c.primaryKey().references('workspaces.id').onDelete('cascade'))
    .addColumn('models', 'text')
    .addColumn('max_requests_per_minute', 'integer')
    .addColumn('max_tokens_per_minute', 'integer')
    .addColumn('max_monthly_budget_nanos', 'bigint')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('api_key_policies').execute();
  await db.schema.dropTable('api_key_counters').execute();
  for (const column of [
    'version',
    'monthly_budget_nanos',
    'tokens_per_minute',
    'requests_per_minute',
    'credential_pins',
    'models',
  ]) {
    await db.schema.alterTable('api_keys').dropColumn(column).execute();
  }
}
