import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import './provided-context.ts';

/** Where a storage test runs: a fresh in-memory SQLite database, or a fresh schema on PostgreSQL. */
export type DatabaseTarget =
  | { engine: 'sqlite'; filename: string }
  | { engine: 'postgres'; connectionString: string; schema: string };

/** The two engines every storage test runs on, for `describe.each`. */
export const ENGINES = ['sqlite', 'postgres'] as const;
export type EngineName = (typeof ENGINES)[number];

/**
 * A fresh, empty database on the given engine. SQLite gets a private in-memory
 * database; PostgreSQL gets a new schema, so test files never see each other's rows.
 */
export async function freshDatabaseTarget(engine: EngineName): Promise<DatabaseTarget> {
  if (engine === 'sqlite') return { engine, filename: ':memory:' };
  const connectionString = inject('postgresUrl');
  if (!connectionString) throw new Error('postgresUrl not provided: add the postgres global setup to vitest.config.ts');
  const schema = `test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(`create schema ${schema}`);
  } finally {
    await client.end();
  }
  return { engine, connectionString, schema };
}
