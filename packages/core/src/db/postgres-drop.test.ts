import { freshDatabaseTarget } from '@switchboard/test-utils';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDatabase } from './connect.ts';

// PostgreSQL restarted (or a connection killed by an operator) must not take the server down:
// a connection that drops while checked out but between queries, or while idle in the pool,
// is thrown away and the next query opens a new one (issue 13, fault suite).

describe('PostgreSQL connections that drop', () => {
  it('survives a connection killed while held between queries and while idle, and queries again', async () => {
    const target = await freshDatabaseTarget('postgres');
    if (target.engine !== 'postgres') throw new Error('unreachable');
    const handle = openDatabase({ ...target, poolSize: 2 });
    const admin = openDatabase({ ...target, poolSize: 1 });
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const kill = (pid: number) => sql`select pg_terminate_backend(${pid})`.execute(admin.db);
      const pidOf = async (db: typeof handle.db) =>
        Number((await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0]?.pid);
      // Held (a transaction between two statements) when its backend is terminated.
      await handle.db.connection().execute(async (connection) => {
        await kill(await pidOf(connection));
        await new Promise((resolve) => setTimeout(resolve, 200));
      });
      // Idle in the pool when its backend is terminated.
      await kill(await pidOf(handle.db));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await pidOf(handle.db)).toBeGreaterThan(0);
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
      await admin.close();
      await handle.close();
    }
  });
});
