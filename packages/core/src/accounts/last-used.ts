/** `last_used_at` is written at most this often per token, key or session, so authentication is not a write per request. */
export const LAST_USED_GRANULARITY_MS = 60_000;

/** True when a stored last-used time is old enough to be worth a write. */
export function isStale(lastUsedAt: string | null, now: number): boolean {
  return lastUsedAt === null || now - Date.parse(lastUsedAt) >= LAST_USED_GRANULARITY_MS;
}
