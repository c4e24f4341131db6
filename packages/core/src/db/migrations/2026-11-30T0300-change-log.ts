import type { Kysely } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one.
// The change outbox that SQLite processes read to hear each other (PostgreSQL uses
// LISTEN/NOTIFY and leaves it empty). `seq` is an `integer primary key`, which SQLite
// numbers by itself; the pruner always keeps the newest row so numbers never go back.

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the app's current schema types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('changes')
    .addColumn('seq', 'integer', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('record_id', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('origin', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('changes_at_idx').on('changes').column('at').execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('changes').execute();
}
