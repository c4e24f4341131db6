import { type RawBuilder, sql } from 'kysely';
import type { DbOrTrx } from '../db/schema.ts';
import { type CompiledLimits, fromNanos } from './api-key-limits.ts';

// The shared counters behind API key limits (decisions 0026, 0031): one row per key holding the
// requests and tokens of the current UTC minute and of the minute before, and the current UTC
// month's spend. Requests and tokens are judged over a sliding minute: the previous minute's
// count weighted by the share of it still within the last 60 s, plus the current minute's. Every
// instance admits a call with one atomic statement on that row, so the bound holds however many
// servers share the database; tokens and spend are added once the call is answered.

/** The limit a refused call hit. */
export type LimitHit = 'requests' | 'tokens' | 'budget';

/** Why a call was refused and when it may be tried again. */
export interface Refusal {
  limit: LimitHit;
  /** The limit's value (a number of requests or tokens, or USD). */
  value: number;
  /** Whole seconds until the call would be admitted, were nothing else counted meanwhile. */
  retryAfterSeconds: number;
}

/** A key's use against its limits, as the gateway judges it now. */
export interface ApiKeyUsage {
  /**
   * Requests in the sliding minute (the previous minute's weighted by its share of the last 60 s,
   * plus the current minute's), rounded down: a call is refused while this is at the limit.
   */
  requestsThisMinute: number;
  /** Tokens in the sliding minute, counted and rounded as the requests are. */
  tokensThisMinute: number;
  /** Spend this UTC month in USD (usage x catalog price). */
  spendThisMonth: number;
}

/**
 * Tokens and cost (nano-dollars) of finished calls that one server has not written to the key's
 * row yet: the gateway carries them into its next admission of the key, so both are one write.
 */
export interface UnsavedSpend {
  tokens: number;
  costNanos: number;
}

/** No spend to carry. */
export const NO_SPEND: UnsavedSpend = Object.freeze({ tokens: 0, costNanos: 0 });

/** Milliseconds in a counting window. */
const MINUTE_MS = 60_000;

/** `YYYY-MM-DDTHH:MM`, the UTC minute of `now`. */
export const minuteOf = (now: Date): string => now.toISOString().slice(0, 16);
/** `YYYY-MM`, the UTC month of `now`. */
export const monthOf = (now: Date): string => now.toISOString().slice(0, 7);

function secondsToNextMonth(now: Date): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  return Math.max(1, Math.ceil((next - now.getTime()) / 1000));
}

/** The counts of a sliding minute: the previous minute's (to be weighted) and the current one's. */
interface Window {
  previous: number;
  current: number;
}

/**
 * Whether a sliding minute is under `limit` at `elapsedMs` into the current minute:
 * `previous x (60 s - elapsed) / 60 s + current < limit`, in whole numbers (as the SQL judges it).
 */
export const underLimit = (window: Window, limit: number, elapsedMs: number): boolean =>
  window.previous * (MINUTE_MS - elapsedMs) + window.current * MINUTE_MS < limit * MINUTE_MS;

/**
 * The sliding count at `elapsedMs` into the current minute, rounded down: under the limit
 * exactly when `underLimit` says so (the limit is a whole number).
 */
export const slidingCount = (window: Window, elapsedMs: number): number =>
  Math.floor((window.previous * (MINUTE_MS - elapsedMs) + window.current * MINUTE_MS) / MINUTE_MS);

/**
 * Milliseconds from `elapsedMs` into the current minute until the sliding count is under `limit`
 * (0 when it is now), were nothing else counted meanwhile. The weighted previous minute fades;
 * the current minute's count weighs fully until the next minute, where it fades in turn.
 */
export function msUntilUnder(window: Window, limit: number, elapsedMs: number): number {
  if (underLimit(window, limit, elapsedMs)) return 0;
  if (window.current < limit) {
    // Within this minute: the first whole millisecond e with previous x e > (previous + current - limit) x 60 s.
    const at = Math.floor(((window.previous + window.current - limit) * MINUTE_MS) / window.previous) + 1;
    if (at < MINUTE_MS) return at - elapsedMs;
  }
  // In the next minute, where this minute's count is the previous one (0 when it is under the limit).
  const next =
    window.current < limit ? 0 : Math.floor(((window.current - limit) * MINUTE_MS) / window.current) + 1;
  return MINUTE_MS - elapsedMs + next;
}

/** Whole seconds for Retry-After: at least 1, and late enough that the call is admitted then. */
const seconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

/** The row's windows as seen at `now`: a row of an older minute rolls forward (a later one is current). */
function windowsAt(
  row: {
    minute: string;
    requests: number;
    tokens: number | string;
    previous_requests: number;
    previous_tokens: number | string;
  },
  minute: string,
  previousMinute: string,
): { requests: Window; tokens: Window } {
  if (row.minute >= minute)
    return {
      requests: { previous: row.previous_requests, current: row.requests },
      tokens: { previous: Number(row.previous_tokens), current: Number(row.tokens) },
    };
  if (row.minute === previousMinute)
    return {
      requests: { previous: row.requests, current: 0 },
      tokens: { previous: Number(row.tokens), current: 0 },
    };
  return { requests: { previous: 0, current: 0 }, tokens: { previous: 0, current: 0 } };
}

/**
 * SQL for the row's columns rolled forward to `minute`: a row of the current minute (or, from a
 * server whose clock is a little behind, a later one) stays; one of the previous minute moves its
 * counts to `previous_*`; an older one starts from zero.
 */
function rolled(minute: string, previousMinute: string) {
  const current = sql`c.minute >= ${minute}`;
  const previous = sql`c.minute = ${previousMinute}`;
  return {
    previousRequests: sql`case when ${current} then c.previous_requests when ${previous} then c.requests else 0 end`,
    previousTokens: sql`case when ${current} then c.previous_tokens when ${previous} then c.tokens else 0 end`,
    requests: sql`case when ${current} then c.requests else 0 end`,
    tokens: sql`case when ${current} then c.tokens else 0 end`,
    minute: sql`case when ${current} then c.minute else ${minute} end`,
  };
}

/** SQL: whether a rolled window is under `limit` at `elapsedMs` (whole numbers, as `underLimit`). */
function sqlUnder(
  previous: RawBuilder<unknown>,
  current: RawBuilder<unknown>,
  limit: number,
  elapsedMs: number,
) {
  // bigint: a million requests x 60,000 overflows PostgreSQL's 32-bit integer.
  return sql`(cast(${previous} as bigint) * ${MINUTE_MS - elapsedMs} + cast(${current} as bigint) * ${MINUTE_MS} < ${limit * MINUTE_MS})`;
}

/**
 * Counts one call against the key's limits, or refuses it. Atomic on both engines (a row lock on
 * PostgreSQL, the writer lock on SQLite): every statement that counts a call checks every limit
 * in its own WHERE, so two servers can never admit more than the limit between them. The common
 * case, a key already counted this minute, is one short statement; a refusal costs a read more,
 * and the first call of a minute (or of a key) an upsert that rolls the windows forward.
 */
export async function admitApiKeyCall(
  db: DbOrTrx,
  apiKeyId: string,
  limits: CompiledLimits,
  now: Date,
): Promise<Refusal | null> {
  if (await admitApiKeyCalls(db, apiKeyId, limits, now, 1)) return null;
  for (let attempt = 0; attempt < 2; attempt++) {
    const refusal = await refusalOf(db, apiKeyId, limits, now);
    if (refusal) return refusal;
    // Room, in a row of an earlier minute (or none yet): count the call in the rolled row.
    if (await countRolled(db, apiKeyId, limits, now)) return null;
  }
  return { limit: 'requests', value: limits.requestsPerMinute ?? 0, retryAfterSeconds: 1 };
}

/**
 * Counts `calls` calls of one key, and adds `unsaved` (one server's finished calls' tokens and
 * cost), in one short statement when the key's row is of the current minute and has room for
 * all of them with `unsaved` added; false, and nothing written, otherwise (then each call takes
 * `admitApiKeyCall`, after `unsaved` is written). Admitting them together is admitting them one
 * after another: tokens and budget are "admit while under", and calls do not add to them. Its
 * month is the current one too (every write sets both), so the budget needs no month test. The
 * text is the same for every call of a key: SQLite prepares each new text.
 */
export async function admitApiKeyCalls(
  db: DbOrTrx,
  apiKeyId: string,
  limits: CompiledLimits,
  now: Date,
  calls: number,
  unsaved: UnsavedSpend = NO_SPEND,
): Promise<boolean> {
  const elapsedMs = now.getTime() % MINUTE_MS;
  const conditions: RawBuilder<unknown>[] = [sql`api_key_id = ${apiKeyId}`, sql`minute = ${minuteOf(now)}`];
  // Room for all: the sliding count is still under the limit before the last of them.
  if (limits.requestsPerMinute !== null)
    conditions.push(
      sqlUnder(sql`previous_requests`, sql`requests + ${calls - 1}`, limits.requestsPerMinute, elapsedMs),
    );
  if (limits.tokensPerMinute !== null)
    conditions.push(
      sqlUnder(sql`previous_tokens`, sql`tokens + ${unsaved.tokens}`, limits.tokensPerMinute, elapsedMs),
    );
  if (limits.budgetNanos !== null)
    conditions.push(sql`cost_nanos + ${unsaved.costNanos} < ${limits.budgetNanos}`);
  const counted = await sql<{ requests: number }>`
    update api_key_counters set
      requests = requests + ${calls},
      tokens = tokens + ${unsaved.tokens},
      cost_nanos = cost_nanos + ${unsaved.costNanos}
    where ${sql.join(conditions, sql` and `)}
    returning requests`.execute(db);
  return counted.rows.length > 0;
}

/**
 * Inserts the key's row, or counts the call in its row rolled forward to `now` (a new minute or
 * month starts from zero), only while every limit has room.
 */
async function countRolled(
  db: DbOrTrx,
  apiKeyId: string,
  limits: CompiledLimits,
  now: Date,
): Promise<boolean> {
  const minute = minuteOf(now);
  const elapsedMs = now.getTime() % MINUTE_MS;
  const month = monthOf(now);
  const row = rolled(minute, minuteOf(new Date(now.getTime() - MINUTE_MS)));
  const conditions: RawBuilder<unknown>[] = [];
  if (limits.requestsPerMinute !== null)
    conditions.push(sqlUnder(row.previousRequests, row.requests, limits.requestsPerMinute, elapsedMs));
  if (limits.tokensPerMinute !== null)
    conditions.push(sqlUnder(row.previousTokens, row.tokens, limits.tokensPerMinute, elapsedMs));
  if (limits.budgetNanos !== null)
    conditions.push(sql`(c.month <> ${month} or c.cost_nanos < ${limits.budgetNanos})`);
  const where = conditions.length > 0 ? sql`where ${sql.join(conditions, sql` and `)}` : sql``;
  // Every right-hand side reads the row as it was (both engines), so the order does not matter.
  const counted = await sql<{ requests: number }>`
    insert into api_key_counters as c
      (api_key_id, minute, requests, tokens, previous_requests, previous_tokens, month, cost_nanos)
    values (${apiKeyId}, ${minute}, 1, 0, 0, 0, ${month}, 0)
    on conflict (api_key_id) do update set
      previous_requests = ${row.previousRequests},
      previous_tokens = ${row.previousTokens},
      requests = ${row.requests} + 1,
      tokens = ${row.tokens},
      minute = ${row.minute},
      cost_nanos = case when c.month = ${month} then c.cost_nanos else 0 end,
      month = ${month}
    ${where}
    returning requests`.execute(db);
  return counted.rows.length > 0;
}

/** Which limit the key's row is at (the longest wait first), or null when it has room. */
async function refusalOf(
  db: DbOrTrx,
  apiKeyId: string,
  limits: CompiledLimits,
  now: Date,
): Promise<Refusal | null> {
  const row = await db
    .selectFrom('api_key_counters')
    .selectAll()
    .where('api_key_id', '=', apiKeyId)
    .executeTakeFirst();
  if (!row) return null;
  if (
    limits.budgetNanos !== null &&
    row.month === monthOf(now) &&
    Number(row.cost_nanos) >= limits.budgetNanos
  )
    return { limit: 'budget', value: limits.monthlyBudget ?? 0, retryAfterSeconds: secondsToNextMonth(now) };
  const elapsedMs = now.getTime() % MINUTE_MS;
  const windows = windowsAt(row, minuteOf(now), minuteOf(new Date(now.getTime() - MINUTE_MS)));
  const waits: Refusal[] = [];
  if (limits.tokensPerMinute !== null) {
    const wait = msUntilUnder(windows.tokens, limits.tokensPerMinute, elapsedMs);
    if (wait > 0)
      waits.push({ limit: 'tokens', value: limits.tokensPerMinute, retryAfterSeconds: seconds(wait) });
  }
  if (limits.requestsPerMinute !== null) {
    const wait = msUntilUnder(windows.requests, limits.requestsPerMinute, elapsedMs);
    if (wait > 0)
      waits.push({ limit: 'requests', value: limits.requestsPerMinute, retryAfterSeconds: seconds(wait) });
  }
  if (waits.length === 0) return null;
  return waits.reduce((longest, wait) =>
    wait.retryAfterSeconds > longest.retryAfterSeconds ? wait : longest,
  );
}

/**
 * Adds a finished call's tokens (to the current minute) and cost (to the current month, in
 * nano-dollars) to the key's row, rolling its windows forward to `now` first.
 */
export async function addApiKeySpend(
  db: DbOrTrx,
  apiKeyId: string,
  tokens: number,
  costNanos: number,
  now: Date,
): Promise<void> {
  const minute = minuteOf(now);
  const month = monthOf(now);
  const row = rolled(minute, minuteOf(new Date(now.getTime() - MINUTE_MS)));
  await sql`
    update api_key_counters as c set
      previous_requests = ${row.previousRequests},
      previous_tokens = ${row.previousTokens},
      requests = ${row.requests},
      tokens = ${row.tokens} + ${tokens},
      minute = ${row.minute},
      cost_nanos = case when c.month = ${month} then c.cost_nanos + ${costNanos} else ${costNanos} end,
      month = ${month}
    where c.api_key_id = ${apiKeyId}`.execute(db);
}

/** The use of the given keys at `now`, as the gateway judges it (keys never counted are absent). */
export async function readApiKeyUsage(
  db: DbOrTrx,
  apiKeyIds: readonly string[],
  now: Date,
): Promise<Map<string, ApiKeyUsage>> {
  if (apiKeyIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('api_key_counters')
    .selectAll()
    .where('api_key_id', 'in', apiKeyIds)
    .execute();
  const minute = minuteOf(now);
  const previousMinute = minuteOf(new Date(now.getTime() - MINUTE_MS));
  const elapsedMs = now.getTime() % MINUTE_MS;
  const month = monthOf(now);
  return new Map(
    rows.map((row) => {
      const windows = windowsAt(row, minute, previousMinute);
      return [
        row.api_key_id,
        {
          requestsThisMinute: slidingCount(windows.requests, elapsedMs),
          tokensThisMinute: slidingCount(windows.tokens, elapsedMs),
          spendThisMonth: row.month === month ? fromNanos(row.cost_nanos) : 0,
        },
      ];
    }),
  );
}
