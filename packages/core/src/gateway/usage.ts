import type { ModelType } from '@switchboard/providers/spec';
import type { Core } from '../core.ts';
import type { UsageEventsTable } from '../db/schema.ts';
import { newId } from '../ids.ts';

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
  #buffer: (UsageEventsTable & { id: string })[] = [];
  #flushing: Promise<void> | undefined;
  readonly #timer: NodeJS.Timeout;

  constructor(core: Core, options: UsageRecorderOptions = {}) {
    this.#core = core;
    this.#batchSize = options.batchSize ?? 500;
    this.#onError = options.onError ?? (() => undefined);
    this.#timer = setInterval(() => void this.flush(), options.intervalMs ?? 1_000);
    this.#timer.unref();
  }

  /** Queues one record; never waits and never throws. */
  record(record: UsageRecord): void {
    this.#buffer.push({
      id: newId('use'),
      workspace_id: record.workspaceId,
      api_key_id: record.apiKeyId,
      user_id: record.userId,
      provider: record.provider,
      model: record.model,
      model_type: record.modelType,
      credential_id: record.credentialId,
      tokens_in: record.tokensIn,
      tokens_out: record.tokensOut,
      latency_ms: Math.round(record.latencyMs),
      ttfb_ms: record.ttfbMs === null ? null : Math.round(record.ttfbMs),
      outcome: record.outcome,
      status: record.status,
      created_at: record.at.toISOString(),
    });
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
        // Chunks keep each statement under the engines' parameter limits.
        for (let start = 0; start < batch.length; start += 200) {
          await this.#core.db
            .insertInto('usage_events')
            .values(batch.slice(start, start + 200))
            .execute();
        }
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

  /** Stops the timer and writes what is left (graceful shutdown). */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }
}
