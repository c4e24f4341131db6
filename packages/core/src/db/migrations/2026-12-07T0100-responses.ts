import type { Kysely } from 'kysely';

// Frozen. Responses stored for the OpenAI Responses API (`previous_response_id`,
// `item_reference`, GET/DELETE /v1/responses/{id}), kept until they expire.

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the app's current schema types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('stored_responses')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('api_key_id', 'text')
    .addColumn('user_id', 'text')
    // The response object as the API returns it (JSON).
    .addColumn('body', 'text', (c) => c.notNull())
    // The conversation the response answered: every input item, earlier turns included (JSON).
    .addColumn('input_items', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('stored_responses_workspace_idx')
    .on('stored_responses')
    .columns(['workspace_id', 'id'])
    .execute();
  await db.schema
    .createIndex('stored_responses_expiry_idx')
    .on('stored_responses')
    .column('expires_at')
    .execute();
  // Output items by id, for `{"type": "item_reference", "id": "msg_…"}` input items.
  await db.schema
    .createTable('stored_response_items')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('response_id', 'text', (c) =>
      c.notNull().references('stored_responses.id').onDelete('cascade'),
    )
    .addColumn('item', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('stored_response_items_pk', ['workspace_id', 'id'])
    .execute();
  await db.schema
    .createIndex('stored_response_items_response_idx')
    .on('stored_response_items')
    .column('response_id')
    .execute();
  await db.schema
    .alterTable('workspaces')
    .addColumn('response_retention_days', 'integer', (c) => c.notNull().defaultTo(30))
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('workspaces').dropColumn('response_retention_days').execute();
  await db.schema.dropTable('stored_response_items').execute();
  await db.schema.dropTable('stored_responses').execute();
}
