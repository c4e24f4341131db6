import type { Kysely } from 'kysely';

// Frozen. A custom model may carry its own price (decision 0032), in the shape of the provider
// catalog's `ModelInfo.pricing`: a JSON object `{ "inputPerMillion": n, "outputPerMillion": n }`
// in the catalog's currency (USD), or null for "no price" (not the same as a price of 0).

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the app's current schema types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('custom_models').addColumn('pricing', 'text').execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('custom_models').dropColumn('pricing').execute();
}
