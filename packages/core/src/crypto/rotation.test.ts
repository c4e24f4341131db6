import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENGINES, type EngineName } from '@switchboard/test-utils';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { freshTestTarget } from '../../test/test-core.ts';
import { startChangeFeed } from '../changes/feed.ts';
import { type Core, createCore } from '../core.ts';
import type { DatabaseConfig } from '../db/connect.ts';
import { newId, nowIso } from '../ids.ts';
import { generateMasterKey, keyFiles, MasterKeyError, masterKeyFilePath } from './master-key.ts';
import { rotateMasterKey } from './rotate.ts';

// Rotation under concurrency: other processes creating data keys, an interrupted rotation,
// a busy database. Each test opens its own Cores on one database (as separate servers would).
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const freshDir = () => mkdtempSync(join(tmpdir(), 'switchboard-rotation-'));
const keyFileNames = (dataDir: string) =>
  readdirSync(dataDir)
    .filter((name) => name.startsWith('master.key'))
    .sort();

async function sharedTarget(engine: EngineName, dataDir: string): Promise<DatabaseConfig> {
  const target = await freshTestTarget(engine);
  return target.engine === 'sqlite'
    ? { engine: 'sqlite', filename: join(dataDir, 'switchboard.db') }
    : target;
}

async function open(target: DatabaseConfig, dataDir: string, masterKey?: { env: string; previous?: string }) {
  const core = await createCore({ database: target, dataDir, ...(masterKey ? { masterKey } : {}) });
  cleanups.push(() => core.close());
  return core;
}

async function newWorkspace(core: Core): Promise<string> {
  const id = newId('ws');
  const now = nowIso();
  await core.db.insertInto('workspaces').values({ id, name: id, created_at: now, updated_at: now }).execute();
  return id;
}

/** Which master key wraps each workspace's data key. */
async function wrappingKeys(core: Core): Promise<Record<string, string>> {
  const rows = await core.db.selectFrom('workspace_keys').select(['workspace_id', 'master_key_id']).execute();
  return Object.fromEntries(rows.map((row) => [row.workspace_id, row.master_key_id]));
}

async function eventually(predicate: () => boolean, what: string): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > 10_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.each(ENGINES)('master key rotation on %s', (engine) => {
  it('has a server that missed the rotations wrap new data keys with the database’s key, and tells it through the feed', async () => {
    const dataDir = freshDir();
    const target = await sharedTarget(engine, dataDir);
    const server = await open(target, dataDir);
    const cli = await open(target, dataDir);
    const before = await newWorkspace(server);
    const sealed = await server.keyring.encrypt(before, 'crd_1', 'sk-test-fake-missed-0001');

    const first = await rotateMasterKey(cli);
    const second = await rotateMasterKey(cli);
    // The server has no feed running: it has not heard of either rotation.
    expect(server.keyring.currentMasterKeyId).not.toBe(second.newKeyId);
    const after = await newWorkspace(server);
    await server.keyring.warm(after);
    expect(await wrappingKeys(server)).toEqual({ [before]: second.newKeyId, [after]: second.newKeyId });
    expect(keyFileNames(dataDir)).toEqual(['master.key', `master.key.${second.newKeyId}`]);
    expect(second.retiredKeyIds).toEqual([first.newKeyId]);

    const stopFeed = await startChangeFeed(server, { pollIntervalMs: 20 });
    cleanups.push(stopFeed);
    const stopCliFeed = await startChangeFeed(cli, { pollIntervalMs: 20 });
    cleanups.push(stopCliFeed);
    const third = await rotateMasterKey(cli);
    await eventually(() => server.keyring.currentMasterKeyId === third.newKeyId, 'the server to hear');
    expect(server.keyring.heldMasterKeyIds).toContain(third.newKeyId);

    const restarted = await open(target, dataDir);
    await expect(restarted.keyring.decrypt(before, 'crd_1', sealed)).resolves.toBe(
      'sk-test-fake-missed-0001',
    );
  });

  it('finishes a rotation that stopped after its commit, and clears keys staged by one that never committed', async () => {
    const dataDir = freshDir();
    const target = await sharedTarget(engine, dataDir);
    const core = await open(target, dataDir);
    const workspaceId = await newWorkspace(core);
    const sealed = await core.keyring.encrypt(workspaceId, 'crd_1', 'sk-test-fake-interrupted-0002');
    const path = masterKeyFilePath(dataDir);
    const original = core.keyring.currentMasterKeyId;
    // What a rotation killed between its commit and its file steps leaves: the database on the
    // new key, `master.key` still the old one; plus a key staged by a run killed before its commit,
    // the `.previous` file of an earlier version, and a temporary file of an interrupted write.
    const committed = generateMasterKey();
    await core.keyring.exclusive(async (db) => {
      keyFiles.keep(path, committed);
      return core.keyring.rewrapAll(db, committed);
    });
    const staged = generateMasterKey();
    keyFiles.keep(path, staged);
    writeFileSync(`${path}.previous`, `${generateMasterKey().key.toString('base64')}\n`, { mode: 0o600 });
    writeFileSync(`${path}.tmp-0123456789ab`, 'half a key', { mode: 0o600 });

    // A server starting now runs: it finds the database's key beside the old file.
    const server = await open(target, dataDir);
    expect(server.keyring.currentMasterKeyId).toBe(committed.id);
    await expect(server.keyring.decrypt(workspaceId, 'crd_1', sealed)).resolves.toBe(
      'sk-test-fake-interrupted-0002',
    );

    const next = await rotateMasterKey(server);
    expect(next.retiredKeyIds).toEqual(expect.arrayContaining([original, committed.id, staged.id]));
    expect(keyFileNames(dataDir)).toEqual(['master.key', `master.key.${next.newKeyId}`]);
    expect(readFileSync(path, 'utf8')).toBe(readFileSync(`${path}.${next.newKeyId}`, 'utf8'));
    expect(await wrappingKeys(server)).toEqual({ [workspaceId]: next.newKeyId });
    const restarted = await open(target, dataDir);
    await expect(restarted.keyring.decrypt(workspaceId, 'crd_1', sealed)).resolves.toBe(
      'sk-test-fake-interrupted-0002',
    );
  });

  it('refuses to wrap a new data key with an old environment key once the database moved on', async () => {
    const dataDir = freshDir();
    const target = await sharedTarget(engine, dataDir);
    const oldKey = Buffer.alloc(32, 21).toString('base64');
    const newKey = Buffer.alloc(32, 22).toString('base64');
    const stale = await open(target, dataDir, { env: oldKey });
    const ready = await open(target, dataDir, { env: oldKey, previous: newKey });
    const cli = await open(target, dataDir, { env: oldKey });
    const rotated = await rotateMasterKey(cli, { newKey });
    expect(rotated.stillNeededKeyIds).toEqual([]);

    const workspaceId = await newWorkspace(stale);
    await expect(stale.keyring.warm(workspaceId)).rejects.toThrow(MasterKeyError);
    await expect(stale.keyring.warm(workspaceId)).rejects.toThrow(rotated.newKeyId);
    expect(await wrappingKeys(stale)).toEqual({});
    // A server given the new key ahead of the rotation wraps with it.
    await ready.keyring.warm(workspaceId);
    expect(await wrappingKeys(ready)).toEqual({ [workspaceId]: rotated.newKeyId });
  });
});

describe('master key rotation on sqlite', () => {
  it('waits for another process holding the write lock instead of failing with "database is locked"', async () => {
    const dataDir = freshDir();
    const target = await sharedTarget('sqlite', dataDir);
    if (target.engine !== 'sqlite') throw new Error('expected sqlite');
    const core = await open(target, dataDir);
    const workspaceId = await newWorkspace(core);
    await core.keyring.warm(workspaceId);
    // Another process (a server writing usage, say) holds the write lock for a while.
    const holder = spawn(
      process.execPath,
      [
        '--input-type=commonjs',
        '-e',
        `const db = new (require('better-sqlite3'))(process.argv[1]);
         db.exec('begin immediate');
         db.prepare("insert into changes (workspace_id, kind, record_id, action, at, origin) values ('ws_x', 'model', null, 'hold', '2026-01-01T00:00:00.000Z', 'ins_holder')").run();
         process.stdout.write('locked\\n');
         Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500);
         db.exec('commit');`,
        target.filename,
      ],
      { cwd: new URL('../..', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise((resolve) => holder.on('exit', resolve));
    cleanups.push(() => (holder.exitCode === null ? holder.kill('SIGKILL') : undefined));
    await new Promise<void>((resolve) => holder.stdout.on('data', () => resolve()));
    const rotated = await rotateMasterKey(core);
    expect(rotated.rewrapped).toBe(1);
    expect(await exited).toBe(0);
    expect(await wrappingKeys(core)).toEqual({ [workspaceId]: rotated.newKeyId });
  });
});

describe('master key rotation on postgres', () => {
  it('waits for a data key being created in another transaction, then re-wraps it too', async () => {
    const dataDir = freshDir();
    const target = await sharedTarget('postgres', dataDir);
    const server = await open(target, dataDir);
    const cli = await open(target, dataDir);
    const workspaceId = await newWorkspace(server);
    let rotation: Promise<Awaited<ReturnType<typeof rotateMasterKey>>> | undefined;
    await server.db.transaction().execute(async (trx) => {
      await server.keyring.warm(workspaceId, trx);
      rotation = rotateMasterKey(cli);
      // The rotation must be waiting on this transaction's lock before it commits.
      const waiting = async () => {
        const result = await sql<{ count: number }>`
          select count(*)::int as count from pg_stat_activity
          where wait_event_type = 'Lock' and query like '%"meta"%for update%'`.execute(cli.db);
        return result.rows[0]?.count ?? 0;
      };
      const started = Date.now();
      while ((await waiting()) === 0) {
        if (Date.now() - started > 10_000) throw new Error('the rotation never waited');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    });
    const rotated = await rotation;
    expect(rotated?.rewrapped).toBe(1);
    expect(await wrappingKeys(cli)).toEqual({ [workspaceId]: rotated?.newKeyId });
  });
});
