import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileModeError, migrateHandle, openDatabase } from './connect.ts';

// SQLite holds password hashes, emails and the audit log: its folder and files are for the
// server's user only, like the master key file.

const modeOf = (path: string) => statSync(path).mode & 0o777;
const scratch = () => mkdtempSync(join(tmpdir(), 'switchboard-modes-'));
const originalUmask = process.umask();

afterEach(() => {
  process.umask(originalUmask);
});

/** Opens a file database, writes to it (migrations) so -wal and -shm exist, and returns the handle. */
async function openAndWrite(filename: string) {
  const handle = openDatabase({ engine: 'sqlite', filename });
  await migrateHandle(handle);
  return handle;
}

describe('SQLite file modes', () => {
  it.each([0o022, 0o002, 0])(
    'creates the folder 0700 and the database, -wal and -shm 0600 (umask %o)',
    async (umask) => {
      process.umask(umask);
      const dir = join(scratch(), 'nested', 'data');
      const filename = join(dir, 'switchboard.db');
      const handle = await openAndWrite(filename);
      try {
        expect(modeOf(dir)).toBe(0o700);
        expect(readdirSync(dir).sort()).toEqual([
          'switchboard.db',
          'switchboard.db-shm',
          'switchboard.db-wal',
        ]);
        for (const file of readdirSync(dir)) expect([file, modeOf(join(dir, file))]).toEqual([file, 0o600]);
      } finally {
        await handle.close();
      }
    },
  );

  it('opens an existing private database again', async () => {
    const filename = join(scratch(), 'switchboard.db');
    await (await openAndWrite(filename)).close();
    const handle = await openAndWrite(filename);
    await handle.close();
    expect(modeOf(filename)).toBe(0o600);
  });

  it('refuses a folder other users can enter, naming it and the fix, and creates nothing', () => {
    const dir = join(scratch(), 'data');
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    const filename = join(dir, 'switchboard.db');
    expect(() => openDatabase({ engine: 'sqlite', filename })).toThrow(FileModeError);
    expect(() => openDatabase({ engine: 'sqlite', filename })).toThrow(
      `SQLite data readable by other users: ${dir} (mode 755); run chmod 700 '${dir}'`,
    );
    expect(existsSync(filename)).toBe(false);
    expect(modeOf(dir)).toBe(0o755);
  });

  it.each(['switchboard.db', 'switchboard.db-wal', 'switchboard.db-shm'])(
    'refuses an existing %s other users can read, and leaves its mode alone',
    async (name) => {
      const filename = join(scratch(), 'switchboard.db');
      await (await openAndWrite(filename)).close();
      const exposed = join(filename, '..', name);
      writeFileSync(exposed, '', { flag: 'a' });
      chmodSync(exposed, 0o644);
      expect(() => openDatabase({ engine: 'sqlite', filename })).toThrow(
        `SQLite data readable by other users: ${exposed} (mode 644); run chmod 600 '${exposed}'`,
      );
      expect(modeOf(exposed)).toBe(0o644);
    },
  );

  it('names every exposed path in one message', async () => {
    const filename = join(scratch(), 'switchboard.db');
    await (await openAndWrite(filename)).close();
    const dir = join(filename, '..');
    chmodSync(filename, 0o640);
    chmodSync(dir, 0o750);
    expect(() => openDatabase({ engine: 'sqlite', filename })).toThrow(
      `${dir} (mode 750), ${filename} (mode 640); run chmod 700 '${dir}' && chmod 600 '${filename}'`,
    );
  });
});

describe('SQLite prepared statements', () => {
  it('prepares a query once, and reuses it after a stream of it ended', async () => {
    const handle = openDatabase({ engine: 'sqlite', filename: ':memory:' });
    if (handle.engine !== 'sqlite') throw new Error('expected a SQLite handle');
    try {
      await migrateHandle(handle);
      const prepare = handle.sqlite.prepare.bind(handle.sqlite);
      let prepared = 0;
      handle.sqlite.prepare = ((sql: string) => {
        prepared++;
        return prepare(sql);
      }) as typeof handle.sqlite.prepare;
      const count = () =>
        handle.db
          .selectFrom('workspaces')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow();
      for (let index = 0; index < 5; index++) expect(Number((await count()).n)).toBe(0);
      expect(prepared).toBe(1);
      // A streamed select holds its statement while it runs; once it ended the statement serves again.
      const query = handle.db
        .withTables<{ kysely_migration: { name: string } }>()
        .selectFrom('kysely_migration')
        .select('name')
        .orderBy('name');
      const streamed: string[] = [];
      for await (const row of query.stream()) streamed.push(row.name);
      const executed = (await query.execute()).map((row) => row.name);
      expect(streamed.length).toBeGreaterThan(1);
      expect(executed).toEqual(streamed);
      expect(prepared).toBe(2);
    } finally {
      await handle.close();
    }
  });
});
