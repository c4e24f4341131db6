import type { Kysely } from 'kysely';

// Frozen. Personal access tokens may end by themselves: a token minted from an email and a
// password (for a script or an editor) carries an expiry; older tokens have none (null).

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the app's current schema types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('personal_access_tokens').addColumn('expires_at', 'text').execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('personal_access_tokens').dropColumn('expires_at').execute();
}
