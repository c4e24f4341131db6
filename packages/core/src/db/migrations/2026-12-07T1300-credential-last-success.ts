import { type Kysely, sql } from 'kysely';

// Frozen. The health page shows when each key last worked, failing ones too (decision 0029):
// a credential keeps the time of its last successful check (`validated_at` is overwritten by a
// failing one), and usage events get an index that finds a credential's last successful gateway
// call with one seek, so the page reads both in one query and the gateway writes nothing more.

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the app's current schema types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('provider_credentials').addColumn('last_valid_at', 'text').execute();
  // A key that is valid now last passed its check when it was last checked.
  await sql`update provider_credentials set last_valid_at = validated_at where status = 'valid'`.execute(db);
  await db.schema
    .createIndex('usage_events_credential_outcome_idx')
    .on('usage_events')
    .columns(['credential_id', 'outcome', 'created_at'])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('usage_events_credential_outcome_idx').execute();
  await db.schema.alterTable('provider_credentials').dropColumn('last_valid_at').execute();
}
