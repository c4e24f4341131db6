import type { Kysely } from 'kysely';

// Frozen. API key limits count in a sliding minute (decision 0031): the counter row keeps the
// minute before the current one too, weighted by how much of it still lies within the last 60 s.
// Rows written before start with an empty previous minute (at most one minute counts too little).

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the app's current schema types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('api_key_counters')
    .addColumn('previous_requests', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('api_key_counters')
    .addColumn('previous_tokens', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_key_counters').dropColumn('previous_tokens').execute();
  await db.schema.alterTable('api_key_counters').dropColumn('previous_requests').execute();
}
