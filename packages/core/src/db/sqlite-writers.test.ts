import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from './connect.ts';

// Two processes writing one SQLite file (two servers on one data dir, or the CLI beside a server)
// must queue for the write lock, not fail with `database is locked` (issue 13, fault suite).

const packageRoot = new URL('../..', import.meta.url).pathname;
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Another process that takes the write lock, writes a row, holds the lock a moment and commits. */
function otherWriter(filename: string): {
  child: ChildProcess;
  locked: Promise<void>;
  exit: Promise<string>;
} {
  const script = `
    const db = new (require('better-sqlite3'))(process.argv[1]);
    db.pragma('busy_timeout = 10000');
    db.exec('BEGIN IMMEDIATE');
    db.prepare("insert into writes (who) values ('other')").run();
    process.stdout.write('locked\\n');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    db.exec('COMMIT');
    db.close();
  `;
  const child = spawn(process.execPath, ['-e', script, filename], { cwd: packageRoot });
  children.push(child);
  let output = '';
  const locked = new Promise<void>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk;
      if (output.includes('locked')) resolve();
    });
  });
  child.stderr.on('data', (chunk: Buffer) => (output += chunk));
  const exit = new Promise<string>((resolve) => child.on('exit', (code) => resolve(`${code}: ${output}`)));
  return { child, locked, exit };
}

describe('SQLite writers in two processes', () => {
  it('queues a transaction that reads then writes behind another process’s write', async () => {
    const filename = join(mkdtempSync(join(tmpdir(), 'switchboard-writers-')), 'switchboard.db');
    const handle = openDatabase({ engine: 'sqlite', filename });
    try {
      await sql`create table writes (who text not null)`.execute(handle.db);
      let other: ReturnType<typeof otherWriter> | undefined;
      await handle.db.transaction().execute(async (trx) => {
        // A read first, as every service does (find the row, check its version), then the write.
        await sql`select count(*) from writes`.execute(trx);
        other = otherWriter(filename);
        // The other process writes now if it can; if it has to wait for us, we go on without it.
        await Promise.race([other.locked, new Promise((resolve) => setTimeout(resolve, 1_500))]);
        await sql`insert into writes (who) values ('this')`.execute(trx);
      });
      expect(await other?.exit).toMatch(/^0: locked/);
      const rows = await sql<{ who: string }>`select who from writes order by who`.execute(handle.db);
      expect(rows.rows.map((row) => row.who)).toEqual(['other', 'this']);
    } finally {
      await handle.close();
    }
  });
});
