import { chmodSync, closeSync, existsSync, fchmodSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  type SqliteDatabase,
  SqliteDriver,
} from 'kysely';
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

/** The SQLite folder or files can be reached by other local users: the server does not start. */
export class FileModeError extends Error {
  override readonly name = 'FileModeError';
}

/** Folder 0700, files 0600: password hashes, emails and the audit log are for this user only. */
const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;

/**
 * Makes the SQLite files private before SQLite opens them: a missing folder is created 0700 and a
 * missing database file 0600 (chmod too, whatever the umask), before anything is written; SQLite
 * creates its -wal and -shm files with the database file's mode. Existing ones that other users
 * can reach are refused with the command that fixes them, as a readable master key file is: a
 * careful operator who loosened them on purpose hears about it rather than finding them changed.
 */
export function preparePrivateSqliteFiles(filename: string): void {
  const dir = dirname(filename);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
    chmodSync(dir, PRIVATE_DIR);
  }
  const exposed = [dir, filename, `${filename}-wal`, `${filename}-shm`]
    .filter((path) => existsSync(path))
    .map((path) => ({ path, mode: statSync(path).mode & 0o777 }))
    .filter(({ mode }) => mode & 0o077);
  if (exposed.length > 0) {
    const fixes = exposed.map(({ path }) => `chmod ${path === dir ? '700' : '600'} '${path}'`);
    throw new FileModeError(
      `SQLite data readable by other users: ${exposed.map(({ path, mode }) => `${path} (mode ${mode.toString(8)})`).join(', ')}; run ${fixes.join(' && ')}`,
    );
  }
  if (!existsSync(filename)) {
    try {
      const fd = openSync(filename, 'wx', PRIVATE_FILE);
      fchmodSync(fd, PRIVATE_FILE);
      closeSync(fd);
    } catch (error) {
      // Another process (a second server, the CLI) created it meanwhile, the same way.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/**
 * How long a SQLite writer waits for another process's write to finish before failing with
 * `database is locked`. Writes are short (one service call, one usage batch), so a queue this
 * long only forms behind a stuck process; better-sqlite3 waits synchronously, so it is also the
 * longest a busy database can hold this process's event loop.
 */
export const SQLITE_BUSY_TIMEOUT_MS = 10_000;

/**
 * Starts every transaction with `BEGIN IMMEDIATE`: it takes the write lock first (waiting up to
 * the busy timeout), so a transaction that reads and then writes cannot find its snapshot stale
 * when another process (a second server, the CLI) wrote meanwhile. A deferred `BEGIN` fails
 * then with `database is locked` at once, without waiting (docs/decisions/0022).
 */
class ImmediateSqliteDriver extends SqliteDriver implements Driver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/** Prepared statements kept per SQL text; beyond this many the oldest is dropped. */
const STATEMENT_CACHE_SIZE = 200;

/**
 * The database as kysely's SQLite driver sees it, with its statements kept by SQL text: the
 * driver prepares each query anew, and under a 429 storm (a cooldown row and a change-log row per
 * upstream 429) preparing cost as much as running. A statement still being iterated (a streamed
 * select) is not handed out twice: a fresh one is prepared beside it.
 */
function withCachedStatements(sqlite: SQLite.Database): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql) {
      const cached = statements.get(sql);
      if (cached && !cached.busy) return cached;
      const statement = sqlite.prepare(sql);
      if (!cached) {
        if (statements.size >= STATEMENT_CACHE_SIZE)
          statements.delete(statements.keys().next().value as string);
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}

/** kysely's SQLite dialect with transactions that take the write lock as they begin. */
class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: ConstructorParameters<typeof SqliteDialect>[0];

  constructor(config: ConstructorParameters<typeof SqliteDialect>[0]) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

/**
 * Opens the database. SQLite runs in WAL mode with foreign keys on, its files private to this
 * user (see preparePrivateSqliteFiles), and its transactions begin immediate (writers from
 * several processes queue for the lock).
 */
export function openDatabase(config: DatabaseConfig): DatabaseHandle {
  if (config.engine === 'sqlite') {
    if (config.filename !== ':memory:' && config.filename !== '') preparePrivateSqliteFiles(config.filename);
    const sqlite = new SQLite(config.filename);
    if (config.filename !== ':memory:') sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    sqlite.pragma('synchronous = NORMAL');
    const db: Db = new Kysely({
      dialect: new ImmediateSqliteDialect({ database: withCachedStatements(sqlite) }),
    });
    return { engine: 'sqlite', db, sqlite, config, close: () => db.destroy() };
  }
  const pool = new pg.Pool({ ...postgresClientConfig(config), max: config.poolSize ?? 10 });
  // A restarted PostgreSQL (or a killed backend) emits 'error' on the clients it cut: on the pool
  // for an idle one, on the client itself for one held between queries. Unheard, either ends the
  // process. The pool already throws a broken client away when it is released, and the next
  // query connects again, so hearing them is all that is needed; the query that was running
  // fails on its own.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
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
