import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENGINES, type EngineName, freshDatabaseTarget } from '@switchboard/test-utils';
import { describe, expect, it } from 'vitest';
import { createCore } from '../core.ts';
import type { DatabaseConfig } from '../db/connect.ts';
import { newId, nowIso } from '../ids.ts';
import { loadMasterKey, MasterKeyError, parseMasterKey } from './master-key.ts';
import { rotateMasterKey } from './rotate.ts';

const freshDir = () => mkdtempSync(join(tmpdir(), 'switchboard-key-'));

describe('master key loading', () => {
  it('creates the key file with mode 0600 on first start and reads the same key afterwards', () => {
    const dataDir = freshDir();
    const first = loadMasterKey({ dataDir, mayCreate: true });
    expect(statSync(join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);
    const again = loadMasterKey({ dataDir, mayCreate: true });
    expect(again.current.id).toBe(first.current.id);
  });

  it('refuses to create a key when the database already holds secrets', () => {
    expect(() => loadMasterKey({ dataDir: freshDir(), mayCreate: false })).toThrow(/No master key/);
  });

  it('refuses a key file other users can read, and a key of the wrong size', () => {
    const dataDir = freshDir();
    writeFileSync(join(dataDir, 'master.key'), Buffer.alloc(32, 3).toString('base64'), { mode: 0o644 });
    expect(() => loadMasterKey({ dataDir, mayCreate: true })).toThrow(/readable by other users/);
    expect(() => parseMasterKey('c2hvcnQ=', 'SWITCHBOARD_MASTER_KEY')).toThrow(
      /SWITCHBOARD_MASTER_KEY must be 32 random bytes/,
    );
  });
});

/** A database that outlives one Core: a SQLite file in the data dir, or a fresh PostgreSQL schema. */
async function persistentTarget(engine: EngineName, dataDir: string): Promise<DatabaseConfig> {
  const database = await freshDatabaseTarget(engine);
  return database.engine === 'sqlite' ? { engine: 'sqlite', filename: join(dataDir, 'db.sqlite') } : database;
}

describe.each(ENGINES)('master key checks on %s', (engine) => {
  it('refuses to start with a different key, and never touches the existing key file', async () => {
    const dataDir = freshDir();
    const target = await persistentTarget(engine, dataDir);
    const core = await createCore({ database: target, dataDir });
    const keyFile = join(dataDir, 'master.key');
    const original = readFileSync(keyFile, 'utf8');
    await core.close();

    const wrong = createCore({
      database: target,
      dataDir,
      masterKey: { env: Buffer.alloc(32, 5).toString('base64') },
    });
    await expect(wrong).rejects.toThrow(MasterKeyError);
    await expect(wrong).rejects.toThrow(/does not match/);
    expect(readFileSync(keyFile, 'utf8')).toBe(original);
  });

  it('rotates a key file without losing any secret, deleting the old key once nothing refers to it', async () => {
    const dataDir = freshDir();
    const target = await persistentTarget(engine, dataDir);
    const core = await createCore({ database: target, dataDir });
    const workspaceId = newId('ws');
    const now = nowIso();
    await core.db
      .insertInto('workspaces')
      .values({ id: workspaceId, name: 'Acme', created_at: now, updated_at: now })
      .execute();
    const sealed = await core.keyring.encrypt(workspaceId, 'crd_x', 'sk-test-rotation-0003');
    const before = core.masterKey.current.id;

    const result = await rotateMasterKey(core);
    expect(result.rewrapped).toBe(1);
    expect(result.newKeyId).not.toBe(before);
    expect(result.retiredKeyIds).toEqual([before]);
    expect(
      readdirSync(dataDir)
        .filter((name) => name.startsWith('master.key'))
        .sort(),
    ).toEqual(['master.key', `master.key.${result.newKeyId}`]);
    const audit = await core.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'master_key.rotate')
      .execute();
    expect(audit).toHaveLength(1);
    // The running process keeps working on its cached data key...
    await expect(core.keyring.decrypt(workspaceId, 'crd_x', sealed)).resolves.toBe('sk-test-rotation-0003');
    await core.close();

    // ...and a process started afterwards, with only the new key, reads the same secret.
    rmSync(join(dataDir, `master.key.${result.newKeyId}`));
    const restarted = await createCore({ database: target, dataDir });
    expect(restarted.masterKey.current.id).toBe(result.newKeyId);
    await expect(restarted.keyring.decrypt(workspaceId, 'crd_x', sealed)).resolves.toBe(
      'sk-test-rotation-0003',
    );
    await restarted.close();
  });

  it('rotates an environment key only when the new key is given', async () => {
    const dataDir = freshDir();
    const target = await persistentTarget(engine, dataDir);
    const oldKey = Buffer.alloc(32, 11).toString('base64');
    const newKey = Buffer.alloc(32, 12).toString('base64');
    const core = await createCore({ database: target, dataDir, masterKey: { env: oldKey } });
    await expect(rotateMasterKey(core)).rejects.toThrow(/SWITCHBOARD_MASTER_KEY_NEW/);
    const result = await rotateMasterKey(core, { newKey });
    expect(result.nextSteps).toMatch(/SWITCHBOARD_MASTER_KEY_PREVIOUS/);
    await core.close();
    const withNew = await createCore({ database: target, dataDir, masterKey: { env: newKey } });
    await withNew.close();
    await expect(createCore({ database: target, dataDir, masterKey: { env: oldKey } })).rejects.toThrow(
      MasterKeyError,
    );
  });
});
