import type { ModelType } from '@switchboard/providers/spec';
import type { Core } from '../core.ts';
import type { UsageEventsTable } from '../db/schema.ts';
import { randomBase32 } from '../ids.ts';

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

function rowObject(row: UsageRow): UsageEventsTable & { id: string } {
  const object: Record<string, unknown> = {};
  COLUMNS.forEach((column, index) => {
    object[column] = row[index];
  });
  return object as unknown as UsageEventsTable & { id: string };
}

/** Options of the recorder. */
export interface UsageRecorderOptions {
  /** Flush at least this often, in milliseconds. */
  intervalMs?: number;
  /** Flush as soon as this many records wait. */
  batchSize?: number;
  /** Called when a batch cannot be written (it is kept and retried). */
  onError?: (error: unknown) => void;
}

/**
 * Collects usage in memory and writes it in multi-row inserts off the request path:
 * no write per request. A failed batch is kept for the next flush, so nothing is
 * lost while the database is briefly away; `close` writes what is left.
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

  constructor(core: Core, options: UsageRecorderOptions = {}) {
    this.#core = core;
    this.#batchSize = options.batchSize ?? 500;
    this.#onError = options.onError ?? (() => undefined);
    this.#timer = setInterval(() => void this.flush(), options.intervalMs ?? 1_000);
    this.#timer.unref();
  }

  /** Queues one record; never waits and never throws. */
  record(record: UsageRecord): void {
    this.#buffer.push([
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
    ]);
    if (this.#buffer.length >= this.#batchSize) void this.flush();
  }

  /** Writes everything queued so far. */
  async flush(): Promise<void> {
    if (this.#flushing) await this.#flushing;
    if (this.#buffer.length === 0) return;
    const batch = this.#buffer;
    this.#buffer = [];
    this.#flushing = (async () => {
      try {
        await this.#write(batch);
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
      // better-sqlite3 runs on this thread: one prepared statement in one transaction is the
      // cheapest way to write a batch (no query building per row, one fsync).
      this.#insertSqlite ??= (() => {
        const statement = database.sqlite.prepare(
          `insert into usage_events (${COLUMNS.join(', ')}) values (${COLUMNS.map(() => '?').join(', ')})`,
        );
        return database.sqlite.transaction((rows: UsageRow[]) => {
          for (const row of rows) statement.run(row);
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
        .execute();
    }
  }

  /** Stops the timer and writes what is left (graceful shutdown). */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }
}
