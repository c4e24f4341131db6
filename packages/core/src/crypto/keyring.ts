import { randomBytes } from 'node:crypto';
import type { Db, DbOrTrx, Trx } from '../db/schema.ts';
import { nowIso } from '../ids.ts';
import { open, seal } from './aead.ts';
import { type MasterKey, MasterKeyError, type MasterKeySource, reloadMasterKey } from './master-key.ts';

/** `meta` row holding the id of the master key this database uses. */
const MASTER_KEY_ID = 'master_key_id';
const wrapContext = (workspaceId: string) => `workspace-key:${workspaceId}`;
const secretContext = (workspaceId: string, recordId: string) => `secret:${workspaceId}:${recordId}`;

/**
 * Envelope encryption: each workspace has a random data key, stored wrapped by the
 * master key; secrets are sealed with the data key and bound to their record id, so a
 * ciphertext copied to another row or workspace does not open. Unwrapped data keys stay
 * in this process's memory only; nothing outside core ever sees one.
 */
export class Keyring {
  readonly #db: Db;
  #source: MasterKeySource;
  readonly #dataKeys = new Map<string, Buffer>();

  constructor(db: Db, source: MasterKeySource) {
    this.#db = db;
    this.#source = source;
  }

  /** Fingerprint of the key new data keys are wrapped with. */
  get currentMasterKeyId(): string {
    return this.#source.current.id;
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
   * Refuses to run with a master key that cannot open the stored data keys,
   * before anything is served. Called on start.
   */
  async verify(): Promise<void> {
    const known = this.#knownIds();
    // The id of the key in use is recorded on first start, so a wrong key is refused even
    // before any secret exists.
    const recorded = await this.#db
      .selectFrom('meta')
      .select('value')
      .where('key', '=', MASTER_KEY_ID)
      .executeTakeFirst();
    if (!recorded) {
      await this.#db
        .insertInto('meta')
        .values({ key: MASTER_KEY_ID, value: this.#source.current.id })
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
    } else if (!known.has(recorded.value)) {
      throw new MasterKeyError(
        `The master key does not match the one this database was set up with (key ${recorded.value}). Use the original SWITCHBOARD_MASTER_KEY or key file.`,
      );
    }
    const rows = await this.#db
      .selectFrom('workspace_keys')
      .select(['workspace_id', 'master_key_id'])
      .execute();
    const unknown = rows.filter((row) => !known.has(row.master_key_id));
    if (unknown.length > 0) {
      throw new MasterKeyError(
        `The master key does not match the one that encrypted this database's secrets (${unknown.length} workspace key(s) wrapped by key ${unknown[0]?.master_key_id}). Use the original SWITCHBOARD_MASTER_KEY or key file.`,
      );
    }
  }

  /**
   * Re-wraps every data key with `next` in one transaction; on success `next` becomes
   * current. Running servers keep their unwrapped data keys, so nothing stops.
   */
  async rewrapAll(
    next: MasterKey,
    alsoInTransaction?: (trx: Trx, count: number) => Promise<void>,
  ): Promise<number> {
    const count = await this.#db.transaction().execute(async (trx) => {
      const rows = await trx.selectFrom('workspace_keys').selectAll().execute();
      for (const row of rows) {
        const dataKey = this.#unwrap(row.workspace_id, row.master_key_id, row.wrapped_key);
        await trx
          .updateTable('workspace_keys')
          .set({
            wrapped_key: seal(next.key, dataKey, wrapContext(row.workspace_id)),
            master_key_id: next.id,
            updated_at: nowIso(),
          })
          .where('workspace_id', '=', row.workspace_id)
          .execute();
      }
      await trx.updateTable('meta').set({ value: next.id }).where('key', '=', MASTER_KEY_ID).execute();
      await alsoInTransaction?.(trx, rows.length);
      return rows.length;
    });
    this.#source = {
      ...this.#source,
      current: next,
      previous: [this.#source.current, ...this.#source.previous],
    };
    return count;
  }

  /** Forgets cached data keys (tests, and after a workspace is deleted). */
  forget(workspaceId?: string): void {
    if (workspaceId) this.#dataKeys.delete(workspaceId);
    else this.#dataKeys.clear();
  }

  #knownIds(): Set<string> {
    return new Set([this.#source.current.id, ...this.#source.previous.map((key) => key.id)]);
  }

  #unwrap(workspaceId: string, masterKeyId: string, wrapped: string): Buffer {
    if (!this.#knownIds().has(masterKeyId)) this.#source = reloadMasterKey(this.#source);
    const master = [this.#source.current, ...this.#source.previous].find((key) => key.id === masterKeyId);
    if (!master)
      throw new MasterKeyError(`No master key ${masterKeyId} is loaded for workspace ${workspaceId}`);
    return open(master.key, wrapped, wrapContext(workspaceId));
  }

  async #dataKey(workspaceId: string, db: DbOrTrx): Promise<Buffer> {
    const cached = this.#dataKeys.get(workspaceId);
    if (cached) return cached;
    let row = await db
      .selectFrom('workspace_keys')
      .select(['master_key_id', 'wrapped_key'])
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirst();
    if (!row) {
      const fresh = randomBytes(32);
      const now = nowIso();
      // Two processes may race to create it: the first insert wins, everyone reads it back.
      await db
        .insertInto('workspace_keys')
        .values({
          workspace_id: workspaceId,
          wrapped_key: seal(this.#source.current.key, fresh, wrapContext(workspaceId)),
          master_key_id: this.#source.current.id,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.column('workspace_id').doNothing())
        .execute();
      row = await db
        .selectFrom('workspace_keys')
        .select(['master_key_id', 'wrapped_key'])
        .where('workspace_id', '=', workspaceId)
        .executeTakeFirstOrThrow();
    }
    const key = this.#unwrap(workspaceId, row.master_key_id, row.wrapped_key);
    this.#dataKeys.set(workspaceId, key);
    return key;
  }
}
