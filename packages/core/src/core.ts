import type { ProviderAdapter, ProviderId } from '@switchboard/provider-spec';
import { LoginThrottle } from './accounts/throttle.ts';
import { ChangeBus } from './changes.ts';
import { isResync } from './changes/transport.ts';
import { Keyring } from './crypto/keyring.ts';
import { loadMasterKey, type MasterKeySource } from './crypto/master-key.ts';
import { type DatabaseConfig, type DatabaseHandle, migrateHandle, openDatabase } from './db/connect.ts';
import type { Db } from './db/schema.ts';
import { ResolveCache } from './provider-management/resolve.ts';

/** Everything core services need; built once by the server or the CLI (the composition roots). */
export interface Core {
  db: Db;
  database: DatabaseHandle;
  keyring: Keyring;
  masterKey: MasterKeySource;
  changes: ChangeBus;
  /** Provider adapters by id, wired in by the caller; core never imports an implementation. */
  providers: ReadonlyMap<ProviderId, ProviderAdapter>;
  /** Data directory (SQLite file, master key file). */
  dataDir: string;
  /** This process's memory of failed logins and the sign-ins in flight (tests replace it). */
  loginThrottle: LoginThrottle;
  /** This process's resolved models per workspace, for the gateway (kept fresh by `changes`). */
  resolveCache: ResolveCache;
  /** The time API key limits are counted by (decision 0031; tests set it to cross a minute at will). */
  limitClock: () => Date;
  close(): Promise<void>;
}

/** How to build a Core. */
export interface CoreOptions {
  database: DatabaseConfig;
  dataDir: string;
  /** `SWITCHBOARD_MASTER_KEY` and `SWITCHBOARD_MASTER_KEY_PREVIOUS`. */
  masterKey?: { env?: string | undefined; previous?: string | undefined };
  providers?: ProviderAdapter[];
  /** Run pending migrations (default true). */
  migrate?: boolean;
  /** The login throttle (default: a new one with the default settings). */
  loginThrottle?: LoginThrottle;
  /** The time API key limits are counted by (default: the system clock). */
  limitClock?: () => Date;
}

/**
 * Opens the database, runs migrations, loads the master key and checks it against
 * the stored data keys. Throws (and closes what it opened) when any of that fails,
 * so a server never starts with a wrong key.
 */
export async function createCore(options: CoreOptions): Promise<Core> {
  const database = openDatabase(options.database);
  try {
    if (options.migrate !== false) await migrateHandle(database);
    // A key file is only ever created for a database that has no workspace yet: otherwise a
    // lost key would silently be replaced and every stored secret become unreadable.
    const workspaces = await database.db
      .selectFrom('workspaces')
      .select((eb) => eb.fn.countAll<string | number>().as('count'))
      .executeTakeFirstOrThrow();
    const masterKey = loadMasterKey({
      envKey: options.masterKey?.env,
      envPreviousKeys: options.masterKey?.previous,
      dataDir: options.dataDir,
      mayCreate: Number(workspaces.count) === 0,
    });
    const keyring = new Keyring(database.db, masterKey, database.engine);
    await keyring.verify();
    const changes = new ChangeBus();
    // A rotation elsewhere (or a gap in the feed): hold the new key before it is needed. Only a
    // head start: a new data key is wrapped by the key the database names when it is created.
    changes.subscribe((event) => {
      if (event.kind === 'master-key' || isResync(event)) void keyring.refresh().catch(() => undefined);
    });
    return {
      db: database.db,
      database,
      keyring,
      masterKey,
      changes,
      providers: new Map((options.providers ?? []).map((adapter) => [adapter.manifest.id, adapter])),
      dataDir: options.dataDir,
      loginThrottle: options.loginThrottle ?? new LoginThrottle(),
      limitClock: options.limitClock ?? (() => new Date()),
      resolveCache: new ResolveCache(changes, database.db),
      close: () => database.close(),
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
