import type { Kysely } from 'kysely';

// Frozen. A personal access token may be scoped to some permissions (`read`, `api-keys.own`,
// `manage`, space-separated); older tokens, and tokens created without scopes, have none (null):
// they may do whatever their user's role allows.

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the app's current schema types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('personal_access_tokens').addColumn('scopes', 'text').execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('personal_access_tokens').dropColumn('scopes').execute();
}
