import { join } from 'node:path';
import type { ModelType } from '@switchboard/provider-spec';
import type { Core } from '../core.ts';
import type { UsageEventsTable } from '../db/schema.ts';
import { randomBase32 } from '../ids.ts';
import { readJournalSegment, UsageJournal } from './usage-journal.ts';

/** One gateway call, as the gateway reports it. */
export interface UsageRecord {
  workspaceId: string;
  apiKeyId: string | null;
  userId: string | null;
  provider: string;
  model: string;
  modelType: ModelType;
  credentialId: string | null;
  tokensIn: number;
  tokensOut: number;
  latencyMs: number;
  ttfbMs: number | null;
  /** `ok`, or the error code that ended the call. */
  outcome: string;
  status: number;
  at: Date;
}

// Usage ids are made often: a random per-process prefix and a counter, instead of a CSPRNG
// call per record, keep them unique across processes and cheap.
const idPrefix = `use_${randomBase32(10)}`;
let idCounter = 0;
const nextUsageId = () => `${idPrefix}${(idCounter++).toString(36).padStart(8, '0')}`;

const COLUMNS = [
  'id',
  'workspace_id',
  'api_key_id',
  'user_id',
  'provider',
  'model',
  'model_type',
  'credential_id',
  'tokens_in',
  'tokens_out',
  'latency_ms',
  'ttfb_ms',
  'outcome',
  'status',
  'created_at',
] as const;

type UsageRow = [
  id: string,
  workspaceId: string,
  apiKeyId: string | null,
  userId: string | null,
  provider: string,
  model: string,
  modelType: string,
  credentialId: string | null,
  tokensIn: number,
  tokensOut: number,
  latencyMs: number,
  ttfbMs: number | null,
  outcome: string,
  status: number,
  createdAt: string,
];

const TEXT = 'string';
const NUMBER = 'number';
/** Column types of a row, for rows read back from the journal: `null` allowed where the column is nullable. */
const ROW_SHAPE: readonly [type: string, nullable: boolean][] = [
  [TEXT, false],
  [TEXT, false],
  [TEXT, true],
  [TEXT, true],
  [TEXT, false],
  [TEXT, false],
  [TEXT, false],
  [TEXT, true],
  [NUMBER, false],
  [NUMBER, false],
  [NUMBER, false],
  [NUMBER, true],
  [TEXT, false],
  [NUMBER, false],
  [TEXT, false],
];

/** A journal line as a row, or null when it is not one this recorder wrote. */
function parseUsageRow(value: unknown[]): UsageRow | null {
  if (value.length !== ROW_SHAPE.length) return null;
  const fits = ROW_SHAPE.every(
    ([type, nullable], index) => typeof value[index] === type || (nullable && value[index] === null),
  );
  return fits && String(value[0]).startsWith('use_') ? (value as UsageRow) : null;
}

function rowObject(row: UsageRow): UsageEventsTable & { id: string } {
  const object: Record<string, unknown> = {};
  COLUMNS.forEach((column, index) => {
    object[column] = row[index];
  });
  return object as unknown as UsageEventsTable & { id: string };
}

/** Usage rows per insert statement on SQLite. */
const ROWS_PER_STATEMENT = 32;

/** The SQLite insert of `count` rows, each skipped when its id is stored already (a replayed journal). */
function insertSql(count: number): string {
  const row = `(${COLUMNS.map(() => '?').join(', ')})`;
  return `insert into usage_events (${COLUMNS.join(', ')}) values ${Array(count).fill(row).join(', ')} on conflict (id) do nothing`;
}

/** Options of the recorder. */
export interface UsageRecorderOptions {
  /** Flush at least this often, in milliseconds. */
  intervalMs?: number;
  /** Flush as soon as this many records wait. */
  batchSize?: number;
  /** Called when a batch cannot be written (it is kept and retried). */
  onError?: (error: unknown) => void;
  /**
   * Folder of the crash journal (default `DATA_DIR/usage-journal`); `false` keeps records in
   * memory only, so a crash loses what the last flush had not written.
   */
  journalDir?: string | false;
  /** How often the journal is fsync'd (default 200 ms). */
  fsyncIntervalMs?: number;
}

/**
 * Collects usage in memory and writes it in multi-row inserts off the request path:
 * no write per request. A failed batch is kept for the next flush, so nothing is
 * lost while the database is briefly away; `close` writes what is left. Every record is
 * also appended to a local journal, so a crash (SIGKILL, OOM) loses nothing either: the
 * next start replays what the dead process had not written. Inserts skip ids already
 * stored, so a replay never counts a call twice.
 */
export class UsageRecorder {
  readonly #core: Core;
  readonly #batchSize: number;
  readonly #onError: (error: unknown) => void;
  /** Rows in COLUMNS order: an array per call is cheaper to build and to bind than an object. */
  #buffer: UsageRow[] = [];
  #flushing: Promise<void> | undefined;
  readonly #timer: NodeJS.Timeout;
  #insertSqlite: ((rows: UsageRow[]) => void) | undefined;
  readonly #journal: UsageJournal | undefined;
  /** Journals of dead processes, until they are replayed (retried at each flush if the database was away). */
  #replaying: Promise<void> | undefined;
  #replayed = false;

  constructor(core: Core, options: UsageRecorderOptions = {}) {
    this.#core = core;
    this.#batchSize = options.batchSize ?? 500;
    this.#onError = options.onError ?? (() => undefined);
    const journalDir = options.journalDir ?? join(core.dataDir, 'usage-journal');
    if (journalDir !== false) {
      this.#journal = new UsageJournal(journalDir, {
        onError: this.#onError,
        ...(options.fsyncIntervalMs !== undefined ? { fsyncIntervalMs: options.fsyncIntervalMs } : {}),
      });
      void this.replay();
    }
    this.#timer = setInterval(() => void this.flush(), options.intervalMs ?? 1_000);
    this.#timer.unref();
  }

  /** Queues one record; never waits and never throws. */
  record(record: UsageRecord): void {
    const row: UsageRow = [
      nextUsageId(),
      record.workspaceId,
      record.apiKeyId,
      record.userId,
      record.provider,
      record.model,
      record.modelType,
      record.credentialId,
      record.tokensIn,
      record.tokensOut,
      Math.round(record.latencyMs),
      record.ttfbMs === null ? null : Math.round(record.ttfbMs),
      record.outcome,
      record.status,
      record.at.toISOString(),
    ];
    this.#buffer.push(row);
    this.#journal?.append(row);
    if (this.#buffer.length >= this.#batchSize) void this.flush();
  }

  /**
   * Inserts the journals of processes that stopped without writing them (once at start; again
   * at each flush until it succeeds), then deletes them. Resolves when done or failed (reported).
   */
  replay(): Promise<void> {
    const journal = this.#journal;
    if (!journal || this.#replayed) return Promise.resolve();
    this.#replaying ??= (async () => {
      try {
        for (const file of journal.orphans()) {
          const { rows, malformed } = readJournalSegment(file);
          const valid = rows.map(parseUsageRow).filter((row): row is UsageRow => row !== null);
          const skipped = malformed + rows.length - valid.length;
          if (skipped > 0)
            this.#onError(new Error(`usage journal ${file}: ${skipped} unreadable line(s) skipped`));
          for (let start = 0; start < valid.length; start += this.#batchSize) {
            await this.#write(valid.slice(start, start + this.#batchSize));
          }
          journal.release([file]);
        }
        this.#replayed = true;
      } catch (error) {
        this.#onError(error);
      } finally {
        this.#replaying = undefined;
      }
    })();
    return this.#replaying;
  }

  /** Writes everything queued so far. */
  async flush(): Promise<void> {
    if (this.#flushing) await this.#flushing;
    if (!this.#replayed) await this.replay();
    if (this.#buffer.length === 0) return;
    // Sealed together with taking the batch: every row in a sealed segment is in this batch or an earlier one.
    const sealed = this.#journal?.seal() ?? [];
    const batch = this.#buffer;
    this.#buffer = [];
    this.#flushing = (async () => {
      try {
        await this.#write(batch);
        this.#journal?.release(sealed);
      } catch (error) {
        this.#buffer = [...batch, ...this.#buffer];
        this.#onError(error);
      }
    })();
    try {
      await this.#flushing;
    } finally {
      this.#flushing = undefined;
    }
  }

  async #write(batch: UsageRow[]): Promise<void> {
    const database = this.#core.database;
    if (database.engine === 'sqlite') {
      // better-sqlite3 runs on this thread: prepared statements in one transaction are the
      // cheapest way to write a batch (no query building per row, one commit), and rows go
      // ROWS_PER_STATEMENT to a statement (a statement per row cost about a third more per row).
      this.#insertSqlite ??= (() => {
        const many = database.sqlite.prepare(insertSql(ROWS_PER_STATEMENT));
        const one = database.sqlite.prepare(insertSql(1));
        return database.sqlite.transaction((rows: UsageRow[]) => {
          let next = 0;
          for (; next + ROWS_PER_STATEMENT <= rows.length; next += ROWS_PER_STATEMENT)
            many.run(rows.slice(next, next + ROWS_PER_STATEMENT).flat());
          for (; next < rows.length; next++) one.run(rows[next]);
        });
      })();
      const insert = this.#insertSqlite;
      // Holding kysely's connection first keeps this batch out of any transaction a service has
      // open on the one SQLite connection (a rollback there must not take usage rows with it).
      await this.#core.db.connection().execute(async () => insert(batch));
      return;
    }
    // Chunks keep each statement under PostgreSQL's parameter limit.
    for (let start = 0; start < batch.length; start += 500) {
      await this.#core.db
        .insertInto('usage_events')
        .values(batch.slice(start, start + 500).map(rowObject))
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    }
  }

  /**
   * Runs `send` once every record so far is in the crash journal (at the end of this turn of the
   * event loop, or now when nothing waits or there is no journal): the gateway sends an answer's
   * last bytes this way, so a client that has its answer has its usage kept.
   */
  afterJournal(send: () => void): void {
    if (this.#journal) this.#journal.afterWrite(send);
    else send();
  }

  /** Stops the timer and writes what is left (graceful shutdown); the journal is then empty. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
    this.#journal?.close();
  }
}
