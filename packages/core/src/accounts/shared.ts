import type { ChangeKind } from '../changes.ts';
import type { Core } from '../core.ts';
import { nowIso } from '../ids.ts';

/** `last_used_at` is written at most this often per token, key or session, so authentication is not a write per request. */
export const LAST_USED_GRANULARITY_MS = 60_000;

/** True when a stored last-used time is old enough to be worth a write. */
export function isStale(lastUsedAt: string | null, now: number): boolean {
  return lastUsedAt === null || now - Date.parse(lastUsedAt) >= LAST_USED_GRANULARITY_MS;
}

/** A unique-constraint violation on either engine. */
export function isUniqueViolation(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const code = (error as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Tells listeners (caches, other instances, live clients) that a workspace record changed; call after commit. */
export function publishChange(
  core: Core,
  workspaceId: string,
  kind: ChangeKind,
  id: string | null,
  action: string,
): void {
  core.changes.publish({ workspaceId, kind, id, action, at: nowIso() });
}
