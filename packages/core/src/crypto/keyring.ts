import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db, DbOrTrx } from '../db/schema.ts';
import { nowIso } from '../ids.ts';
import { open, seal } from './aead.ts';
import { type MasterKey, MasterKeyError, type MasterKeySource, reloadMasterKey } from './master-key.ts';

/** `meta` row holding the id of the master key this database uses: the one new data keys are wrapped by. */
const MASTER_KEY_ID = 'master_key_id';
const wrapContext = (workspaceId: string) => `workspace-key:${workspaceId}`;
const secretContext = (workspaceId: string, recordId: string) => `secret:${workspaceId}:${recordId}`;

/** Attempts at taking the rotation lock while other processes write (each waits up to busy_timeout). */
const LOCK_ATTEMPTS = 5;

/** Whether an error means "another connection holds the lock; try again" (SQLite busy, PostgreSQL deadlock). */
function isLockContention(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code === '40P01' || code === '40001');
}

/**
 * Envelope encryption: each workspace has a random data key, stored wrapped by a master key;
 * secrets are sealed with the data key and bound to their record id, so a ciphertext copied to
 * another row or workspace does not open. Unwrapped data keys stay in this process's memory
 * only; nothing outside core ever sees one.
 *
 * The database names the current master key (`meta.master_key_id`), not this process: a new
 * data key is wrapped by the key the database names at that moment, read under a lock a
 * rotation must wait for, so a server that has not yet heard of a rotation cannot wrap a new
 * data key with a key the rotation is retiring (docs/decisions/0016-master-key-rotation.md).
 */
export class Keyring {
  readonly #db: Db;
  readonly #engine: 'sqlite' | 'postgres';
  #source: MasterKeySource;
  /** The database's current master key id, as last read (start, rotation, or a change notice). */
  #currentId: string;
  readonly #dataKeys = new Map<string, Buffer>();

  constructor(db: Db, source: MasterKeySource, engine: 'sqlite' | 'postgres' = 'sqlite') {
    this.#db = db;
    this.#source = source;
    this.#engine = engine;
    this.#currentId = source.current.id;
  }

  /** Fingerprint of the key the database says new data keys are wrapped with, as last read. */
  get currentMasterKeyId(): string {
    return this.#currentId;
  }

  /** Fingerprints of every master key this process holds. */
  get heldMasterKeyIds(): string[] {
    return [...this.#knownIds()];
  }

  /**
   * Seals `plaintext` for one record of one workspace. Inside a transaction pass it as
   * `db`: on SQLite the one connection is held by the transaction.
   */
  async encrypt(
    workspaceId: string,
    recordId: string,
    plaintext: string,
    db: DbOrTrx = this.#db,
  ): Promise<string> {
    const key = await this.#dataKey(workspaceId, db);
    return seal(key, Buffer.from(plaintext, 'utf8'), secretContext(workspaceId, recordId));
  }

  async decrypt(
    workspaceId: string,
    recordId: string,
    sealed: string,
    db: DbOrTrx = this.#db,
  ): Promise<string> {
    const key = await this.#dataKey(workspaceId, db);
    return open(key, sealed, secretContext(workspaceId, recordId)).toString('utf8');
  }

  /** Decrypts with an already loaded data key, or returns undefined: for hot paths that must not wait. */
  decryptCached(workspaceId: string, recordId: string, sealed: string): string | undefined {
    const key = this.#dataKeys.get(workspaceId);
    return key ? open(key, sealed, secretContext(workspaceId, recordId)).toString('utf8') : undefined;
  }

  /** Loads (or creates) the data key of a workspace ahead of use. */
  async warm(workspaceId: string, db: DbOrTrx = this.#db): Promise<void> {
    await this.#dataKey(workspaceId, db);
  }

  /**
   * Refuses to run with master keys that cannot open the stored data keys, or that lack the
   * database's current key, before anything is served. Called on start.
   */
  async verify(): Promise<void> {
    // The id of the key in use is recorded on first start, so a wrong key is refused even
    // before any secret exists.
    await this.#db
      .insertInto('meta')
      .values({ key: MASTER_KEY_ID, value: this.#source.current.id })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    const recorded = await this.#readCurrentId(this.#db);
    if (!this.#knownIds().has(recorded)) this.#source = reloadMasterKey(this.#source);
    if (!this.#knownIds().has(recorded)) {
      throw new MasterKeyError(
        `The master key does not match the one this database was set up with (key ${recorded}). Use the original SWITCHBOARD_MASTER_KEY or key file.`,
      );
    }
    this.#currentId = recorded;
    const rows = await this.#db
      .selectFrom('workspace_keys')
      .select(['workspace_id', 'master_key_id'])
      .execute();
    const unknown = rows.filter((row) => !this.#knownIds().has(row.master_key_id));
    if (unknown.length > 0) {
      throw new MasterKeyError(
        `The master key does not match the one that encrypted this database's secrets (${unknown.length} workspace key(s) wrapped by key ${unknown[0]?.master_key_id}). Use the original SWITCHBOARD_MASTER_KEY or key file.`,
      );
    }
  }

  /**
   * Learns of a rotation (a `master-key` change notice): re-reads the key files, so the new
   * key is held before it is needed and retired ones are dropped, and the database's current key.
   */
  async refresh(): Promise<void> {
    this.#source = reloadMasterKey(this.#source);
    this.#currentId = await this.#readCurrentId(this.#db);
  }

  /**
   * Runs `work` holding the rotation lock: SQLite's write lock (`BEGIN IMMEDIATE`, so the
   * transaction never has to upgrade a stale read), or the `meta` row of the current key
   * `FOR UPDATE` on PostgreSQL, which every creation of a data key reads `FOR SHARE`. While
   * it is held no other rotation runs and no data key is created. Busy databases are retried.
   */
  async exclusive<T>(work: (db: DbOrTrx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return this.#engine === 'sqlite'
          ? await this.#db.connection().execute(async (connection) => {
              await sql`begin immediate`.execute(connection);
              try {
                const result = await work(connection);
                await sql`commit`.execute(connection);
                return result;
              } catch (error) {
                await sql`rollback`.execute(connection).catch(() => undefined);
                throw error;
              }
            })
          : await this.#db.transaction().execute(async (trx) => {
              await trx
                .selectFrom('meta')
                .select('value')
                .where('key', '=', MASTER_KEY_ID)
                .forUpdate()
                .execute();
              return work(trx);
            });
      } catch (error) {
        if (!isLockContention(error) || attempt >= LOCK_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  }

  /**
   * Inside `exclusive`: re-wraps every data key not yet wrapped by `next` (which includes what
   * an earlier, interrupted rotation left) and records `next` as the database's current key.
   * The caller makes sure `next` is stored durably first. Returns how many were re-wrapped.
   */
  async rewrapAll(db: DbOrTrx, next: MasterKey): Promise<number> {
    if (!this.#knownIds().has(next.id)) {
      this.#source = { ...this.#source, previous: [...this.#source.previous, next] };
    }
    const rows = await db
      .selectFrom('workspace_keys')
      .selectAll()
      .where('master_key_id', '!=', next.id)
      .execute();
    for (const row of rows) {
      const dataKey = this.#unwrap(row.workspace_id, row.master_key_id, row.wrapped_key);
      await db
        .updateTable('workspace_keys')
        .set({
          wrapped_key: seal(next.key, dataKey, wrapContext(row.workspace_id)),
          master_key_id: next.id,
          updated_at: nowIso(),
        })
        .where('workspace_id', '=', row.workspace_id)
        .execute();
    }
    await db.updateTable('meta').set({ value: next.id }).where('key', '=', MASTER_KEY_ID).execute();
    return rows.length;
  }

  /**
   * The master keys the database still needs: its current key and every key a data key is
   * wrapped by. Inside `exclusive`, so no row can start referring to another key meanwhile.
   */
  async keysInUse(db: DbOrTrx): Promise<{ current: MasterKey; inUse: MasterKey[] }> {
    const currentId = await this.#readCurrentId(db);
    const referenced = await db.selectFrom('workspace_keys').select('master_key_id').distinct().execute();
    const ids = new Set([currentId, ...referenced.map((row) => row.master_key_id)]);
    return {
      current: this.#masterKey(currentId, 'is the current one'),
      inUse: [...ids].map((id) => this.#masterKey(id, 'is still in use')),
    };
  }

  /** Forgets cached data keys (tests, and after a workspace is deleted). */
  forget(workspaceId?: string): void {
    if (workspaceId) this.#dataKeys.delete(workspaceId);
    else this.#dataKeys.clear();
  }

  #knownIds(): Set<string> {
    return new Set([this.#source.current.id, ...this.#source.previous.map((key) => key.id)]);
  }

  /** A held master key by id, re-reading the key files once when it is not held (another process rotated). */
  #masterKey(id: string, why: string): MasterKey {
    if (!this.#knownIds().has(id)) this.#source = reloadMasterKey(this.#source);
    const master = [this.#source.current, ...this.#source.previous].find((key) => key.id === id);
    if (!master) {
      throw new MasterKeyError(
        `Master key ${id} ${why} but this process does not hold it: put it in SWITCHBOARD_MASTER_KEY or SWITCHBOARD_MASTER_KEY_PREVIOUS (or restore its key file)`,
      );
    }
    return master;
  }

  #unwrap(workspaceId: string, masterKeyId: string, wrapped: string): Buffer {
    const master = this.#masterKey(masterKeyId, `wraps the data key of workspace ${workspaceId}`);
    return open(master.key, wrapped, wrapContext(workspaceId));
  }

  async #readCurrentId(db: DbOrTrx, lock = false): Promise<string> {
    let query = db.selectFrom('meta').select('value').where('key', '=', MASTER_KEY_ID);
    // The shared lock makes a rotation wait for this transaction, and this read wait for a rotation.
    if (lock && this.#engine === 'postgres') query = query.forShare();
    const row = await query.executeTakeFirst();
    return row?.value ?? this.#source.current.id;
  }

  async #dataKey(workspaceId: string, db: DbOrTrx): Promise<Buffer> {
    const cached = this.#dataKeys.get(workspaceId);
    if (cached) return cached;
    const read = (from: DbOrTrx) =>
      from
        .selectFrom('workspace_keys')
        .select(['master_key_id', 'wrapped_key'])
        .where('workspace_id', '=', workspaceId)
        .executeTakeFirst();
    let row = await read(db);
    if (!row) {
      // Reading the current key and inserting happen in one transaction: on PostgreSQL the key's
      // row is share-locked until commit; on SQLite a rotation committed in between makes the
      // insert fail (a stale snapshot cannot write) instead of wrapping with a retired key.
      const create = async (trx: DbOrTrx) => {
        const master = this.#masterKey(await this.#readCurrentId(trx, true), 'is the current one');
        const fresh = randomBytes(32);
        const now = nowIso();
        // Two processes may race to create it: the first insert wins, everyone reads it back.
        await trx
          .insertInto('workspace_keys')
          .values({
            workspace_id: workspaceId,
            wrapped_key: seal(master.key, fresh, wrapContext(workspaceId)),
            master_key_id: master.id,
            created_at: now,
            updated_at: now,
          })
          .onConflict((oc) => oc.column('workspace_id').doNothing())
          .execute();
        return read(trx);
      };
      row = db.isTransaction ? await create(db) : await db.transaction().execute(create);
      if (!row) throw new MasterKeyError(`The data key of workspace ${workspaceId} could not be created`);
    }
    const key = this.#unwrap(workspaceId, row.master_key_id, row.wrapped_key);
    this.#dataKeys.set(workspaceId, key);
    return key;
  }
}
