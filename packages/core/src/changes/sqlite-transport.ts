import type { ChangeBus, ChangeEvent, ChangeKind } from '../changes.ts';
import type { DatabaseHandle } from '../db/connect.ts';
import {
  type ChangeEnvelope,
  type ChangeFeedErrorHandler,
  type ChangeTransport,
  eventOf,
  PendingWrites,
  parseEnvelope,
} from './transport.ts';

/** Options of the SQLite transport. */
export interface SqliteTransportOptions {
  origin: string;
  onError: ChangeFeedErrorHandler;
  /** How often to look for other processes' writes (default 200 ms). */
  pollIntervalMs?: number;
  /** How long outbox rows are kept for slow readers (default 10 minutes). */
  retentionMs?: number;
}

// Pruning is a write; doing it about once a minute keeps the outbox small without adding write load.
const PRUNE_EVERY_MS = 60_000;

/**
 * Outbox and poll: every published event is also written to the `changes` table,
 * and each process polls `PRAGMA data_version` (which changes only when another
 * connection committed) and reads the table only then, delivering rows other
 * processes wrote. This is how the server hears the CLI.
 */
export async function startSqliteTransport(
  database: Extract<DatabaseHandle, { engine: 'sqlite' }>,
  bus: ChangeBus,
  options: SqliteTransportOptions,
): Promise<ChangeTransport> {
  const { db, sqlite } = database;
  const pending = new PendingWrites();
  const pollInterval = options.pollIntervalMs ?? 200;
  const retention = options.retentionMs ?? 10 * 60_000;
  let stopped = false;
  let polling = false;
  // Version first: a commit landing between the two reads then shows up as a version change.
  let dataVersion = readDataVersion();
  let lastSeq = await latestSeq();
  let lastPrune = 0;

  function readDataVersion(): number {
    return Number(sqlite.pragma('data_version', { simple: true }));
  }

  async function latestSeq(): Promise<number> {
    const row = await db
      .selectFrom('changes')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .executeTakeFirst();
    return Number(row?.seq ?? 0);
  }

  async function readNewRows(): Promise<void> {
    const rows = await db
      .selectFrom('changes')
      .selectAll()
      .where('seq', '>', lastSeq)
      .orderBy('seq')
      .execute();
    for (const row of rows) {
      lastSeq = Math.max(lastSeq, Number(row.seq));
      if (row.origin === options.origin) continue;
      const envelope = parseEnvelope({
        workspaceId: row.workspace_id,
        kind: row.kind,
        id: row.record_id,
        action: row.action,
        at: row.at,
        origin: row.origin,
      });
      if (envelope) bus.deliver(eventOf(envelope));
    }
  }

  async function prune(): Promise<void> {
    const cutoff = new Date(Date.now() - retention).toISOString();
    const newest = await latestSeq();
    // The newest row stays: SQLite numbers a new row max(seq) + 1, and an empty table would restart at 1.
    await db.deleteFrom('changes').where('at', '<', cutoff).where('seq', '<', newest).execute();
  }

  async function tick(): Promise<void> {
    if (stopped || polling) return;
    polling = true;
    try {
      const version = readDataVersion();
      if (version !== dataVersion) {
        dataVersion = version;
        await readNewRows();
      }
      if (Date.now() - lastPrune >= PRUNE_EVERY_MS) {
        lastPrune = Date.now();
        await prune();
      }
    } catch (error) {
      options.onError('change feed: reading the change outbox failed', error);
    } finally {
      polling = false;
    }
  }

  const timer = setInterval(() => void tick(), pollInterval);
  // A CLI run must be able to exit while the feed is on.
  timer.unref();

  return {
    send(event: ChangeEvent) {
      if (stopped) return;
      const envelope: ChangeEnvelope = { ...event, origin: options.origin };
      pending.track(
        db
          .insertInto('changes')
          .values({
            workspace_id: envelope.workspaceId,
            kind: envelope.kind satisfies ChangeKind,
            record_id: envelope.id,
            action: envelope.action,
            at: envelope.at,
            origin: envelope.origin,
          })
          .execute()
          .catch((error: unknown) => options.onError('change feed: writing the change outbox failed', error)),
      );
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await pending.drain();
      while (polling) await new Promise((resolve) => setTimeout(resolve, 5));
    },
  };
}
