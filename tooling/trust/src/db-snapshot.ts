import { createHash } from 'node:crypto';
import type { Core } from '@switchboard/core';

/**
 * Columns a request may touch without changing anything: authenticating stamps `last_used_at`
 * on the token, key or session it used, and a session's expiry slides with use.
 */
const VOLATILE_COLUMNS: Record<string, readonly string[]> = {
  sessions: ['last_used_at', 'expires_at'],
  personal_access_tokens: ['last_used_at'],
  api_keys: ['last_used_at'],
};

/**
 * Tables rows are only ever appended to (the audit log, the change outbox, usage): their count
 * says whether one was written, and counting is far cheaper than reading every row each time.
 */
const APPEND_ONLY = new Set(['audit_log', 'changes', 'usage_events', 'stored_response_items']);

/** Row count and a hash of the rows of every table, to tell whether anything was written. */
export type DatabaseSnapshot = Record<string, { rows: number; hash: string }>;

// Introspection reads every table's columns: done once per database, not per snapshot.
const tableNames = new WeakMap<Core, string[]>();

/** Every table's rows (volatile columns left out), counted and hashed in a stable order. */
export async function databaseSnapshot(core: Core): Promise<DatabaseSnapshot> {
  let tables = tableNames.get(core);
  if (!tables) {
    tables = (await core.db.introspection.getTables()).map((table) => table.name).sort();
    tableNames.set(core, tables);
  }
  const snapshot: DatabaseSnapshot = {};
  for (const table of tables) {
    if (APPEND_ONLY.has(table)) {
      const counted = await core.db
        .selectFrom(table as 'audit_log')
        .select((eb) => eb.fn.countAll<number | string>().as('rows'))
        .executeTakeFirstOrThrow();
      const rows = Number(counted.rows);
      snapshot[table] = { rows, hash: String(rows) };
      continue;
    }
    // Every other table, migrations' own included: the name comes from the database, not from a request.
    const rows = (await core.db
      .selectFrom(table as 'meta')
      .selectAll()
      .execute()) as Record<string, unknown>[];
    const skip = new Set(VOLATILE_COLUMNS[table] ?? []);
    const lines = rows
      .map((row) =>
        JSON.stringify(
          Object.keys(row)
            .filter((column) => !skip.has(column))
            .sort()
            .map((column) => [column, row[column]]),
        ),
      )
      .sort();
    snapshot[table] = {
      rows: rows.length,
      hash: createHash('sha256').update(lines.join('\n')).digest('hex'),
    };
  }
  return snapshot;
}

/** The tables whose rows differ between two snapshots, e.g. `["audit_log 12 -> 13"]`; empty when equal. */
export function snapshotChanges(before: DatabaseSnapshot, after: DatabaseSnapshot): string[] {
  const tables = new Set([...Object.keys(before), ...Object.keys(after)]);
  const changed: string[] = [];
  for (const table of [...tables].sort()) {
    const a = before[table];
    const b = after[table];
    if (a?.hash !== b?.hash) changed.push(`${table} ${a?.rows ?? '-'} -> ${b?.rows ?? '-'}`);
  }
  return changed;
}
