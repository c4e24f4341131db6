import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { migrationProvider } from './migrations/index.ts';
import type { Db } from './schema.ts';

/** Where the data lives: a SQLite file (or `:memory:`), or a PostgreSQL server. */
export type DatabaseConfig =
  | { engine: 'sqlite'; filename: string }
  | {
      engine: 'postgres';
      connectionString: string;
      /** Schema to use instead of `public` (tests use one schema per file). */
      schema?: string;
      /** Connections in the pool. */
      poolSize?: number;
    };

/** An open database and the engine-specific handle that a few features need (LISTEN/NOTIFY, data_version). */
export type DatabaseHandle =
  | { engine: 'sqlite'; db: Db; sqlite: SQLite.Database; config: DatabaseConfig; close(): Promise<void> }
  | {
      engine: 'postgres';
      db: Db;
      pool: pg.Pool;
      config: DatabaseConfig & { engine: 'postgres' };
      close(): Promise<void>;
    };

/** PostgreSQL client options shared by the pool and by dedicated LISTEN connections. */
export function postgresClientConfig(config: DatabaseConfig & { engine: 'postgres' }): pg.ClientConfig {
  return {
    connectionString: config.connectionString,
    ...(config.schema ? { options: `-c search_path=${config.schema}` } : {}),
  };
}

/** Opens the database. SQLite runs in WAL mode with foreign keys on. */
export function openDatabase(config: DatabaseConfig): DatabaseHandle {
  if (config.engine === 'sqlite') {
    const sqlite = new SQLite(config.filename);
    if (config.filename !== ':memory:') sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('synchronous = NORMAL');
    const db: Db = new Kysely({ dialect: new SqliteDialect({ database: sqlite }) });
    return { engine: 'sqlite', db, sqlite, config, close: () => db.destroy() };
  }
  const pool = new pg.Pool({ ...postgresClientConfig(config), max: config.poolSize ?? 10 });
  const db: Db = new Kysely({ dialect: new PostgresDialect({ pool }) });
  return { engine: 'postgres', db, pool, config, close: () => db.destroy() };
}

/** Runs every pending migration; throws with the failing migration's name and cause. */
export async function migrateToLatest(db: Db, schema?: string): Promise<string[]> {
  // Kysely looks for its bookkeeping tables in every schema unless told which one: name it,
  // or a second schema in the same database (tests, tenants) would see the first one's tables.
  const migrator = new Migrator({
    db,
    provider: migrationProvider,
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${String(error)}`, {
      cause: error,
    });
  }
  return (results ?? []).map((result) => result.migrationName);
}

/** Runs migrations on an open handle, in its PostgreSQL schema when it has one (`public` by default). */
export function migrateHandle(handle: DatabaseHandle): Promise<string[]> {
  return migrateToLatest(
    handle.db,
    handle.engine === 'postgres' ? (handle.config.schema ?? 'public') : undefined,
  );
}

/** Cheap liveness check for /healthz. */
export async function pingDatabase(db: Db): Promise<void> {
  await db.selectFrom('meta').select('key').limit(1).execute();
}
