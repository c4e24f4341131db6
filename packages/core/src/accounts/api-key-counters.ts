import { type RawBuilder, sql } from 'kysely';
import type { DbOrTrx } from '../db/schema.ts';
import { type CompiledLimits, fromNanos } from './api-key-limits.ts';

// The shared counters behind API key limits (decision 0026): one row per key holding the
// current UTC minute's requests and tokens and the current UTC month's spend. Every instance
// admits a call with one atomic statement on that row, so the bound holds however many servers
// share the database; tokens and spend are added once the call is answered.

/** The limit a refused call hit. */
export type LimitHit = 'requests' | 'tokens' | 'budget';

/** Why a call was refused and when it may be tried again. */
export interface Refusal {
  limit: LimitHit;
  /** The limit's value (a number of requests or tokens, or USD). */
  value: number;
  /** Whole seconds until the window ends (the next minute, or the next month). */
  retryAfterSeconds: number;
}

/** A key's use of its current windows. */
export interface ApiKeyUsage {
  requestsThisMinute: number;
  tokensThisMinute: number;
  /** Spend this UTC month in USD (usage x catalog price). */
  spendThisMonth: number;
}

/** `YYYY-MM-DDTHH:MM`, the UTC minute of `now`. */
export const minuteOf = (now: Date): string => now.toISOString().slice(0, 16);
/** `YYYY-MM`, the UTC month of `now`. */
export const monthOf = (now: Date): string => now.toISOString().slice(0, 7);

function secondsToNextMinute(now: Date): number {
  return Math.max(1, Math.ceil((60_000 - (now.getTime() % 60_000)) / 1000));
}

function secondsToNextMonth(now: Date): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  return Math.max(1, Math.ceil((next - now.getTime()) / 1000));
}

/**
 * Counts one call against the key's limits, or refuses it: one statement that inserts or
 * updates the key's row only while every limit has room (a new minute or month starts from
 * zero). Atomic on both engines (a row lock on PostgreSQL, the writer lock on SQLite), so two
 * servers can never admit more than the limit between them.
 */
export async function admitApiKeyCall(
  db: DbOrTrx,
  apiKeyId: string,
  limits: CompiledLimits,
  now: Date,
): Promise<Refusal | null> {
  const minute = minuteOf(now);
  const month = monthOf(now);
  const conditions: RawBuilder<unknown>[] = [];
  if (limits.requestsPerMinute !== null)
    conditions.push(sql`(c.minute <> ${minute} or c.requests < ${limits.requestsPerMinute})`);
  if (limits.tokensPerMinute !== null)
    conditions.push(sql`(c.minute <> ${minute} or c.tokens < ${limits.tokensPerMinute})`);
  if (limits.budgetNanos !== null)
    conditions.push(sql`(c.month <> ${month} or c.cost_nanos < ${limits.budgetNanos})`);
  const where = conditions.length > 0 ? sql`where ${sql.join(conditions, sql` and `)}` : sql``;
  for (let attempt = 0; attempt < 2; attempt++) {
    const admitted = await sql<{ requests: number }>`
      insert into api_key_counters as c (api_key_id, minute, requests, tokens, month, cost_nanos)
      values (${apiKeyId}, ${minute}, 1, 0, ${month}, 0)
      on conflict (api_key_id) do update set
        requests = case when c.minute = ${minute} then c.requests + 1 else 1 end,
        tokens = case when c.minute = ${minute} then c.tokens else 0 end,
        minute = ${minute},
        cost_nanos = case when c.month = ${month} then c.cost_nanos else 0 end,
        month = ${month}
      ${where}
      returning requests`.execute(db);
    if (admitted.rows.length > 0) return null;
    const refusal = await refusalOf(db, apiKeyId, limits, now);
    // The window turned between the two statements: the row has room again, so count it anew.
    if (refusal) return refusal;
  }
  return { limit: 'requests', value: limits.requestsPerMinute ?? 0, retryAfterSeconds: 1 };
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
  const minute = minuteOf(now);
  if (
    limits.budgetNanos !== null &&
    row.month === monthOf(now) &&
    Number(row.cost_nanos) >= limits.budgetNanos
  )
    return { limit: 'budget', value: limits.monthlyBudget ?? 0, retryAfterSeconds: secondsToNextMonth(now) };
  if (
    limits.tokensPerMinute !== null &&
    row.minute === minute &&
    Number(row.tokens) >= limits.tokensPerMinute
  )
    return { limit: 'tokens', value: limits.tokensPerMinute, retryAfterSeconds: secondsToNextMinute(now) };
  if (limits.requestsPerMinute !== null && row.minute === minute && row.requests >= limits.requestsPerMinute)
    return {
      limit: 'requests',
      value: limits.requestsPerMinute,
      retryAfterSeconds: secondsToNextMinute(now),
    };
  return null;
}

/**
 * Adds a finished call's tokens (to the current minute) and cost (to the current month, in
 * nano-dollars) to the key's row. Windows that ended start again from this call.
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
  await sql`
    update api_key_counters set
      requests = case when minute = ${minute} then requests else 0 end,
      tokens = case when minute = ${minute} then tokens + ${tokens} else ${tokens} end,
      minute = ${minute},
      cost_nanos = case when month = ${month} then cost_nanos + ${costNanos} else ${costNanos} end,
      month = ${month}
    where api_key_id = ${apiKeyId}`.execute(db);
}

/** The current windows' use of the given keys (keys never counted are absent). */
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
  const month = monthOf(now);
  return new Map(
    rows.map((row) => [
      row.api_key_id,
      {
        requestsThisMinute: row.minute === minute ? row.requests : 0,
        tokensThisMinute: row.minute === minute ? Number(row.tokens) : 0,
        spendThisMonth: row.month === month ? fromNanos(row.cost_nanos) : 0,
      },
    ]),
  );
}
