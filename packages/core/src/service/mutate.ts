import type { Actor } from '../access.ts';
import { recordAudit } from '../audit.ts';
import { type ChangeEvent, type ChangeKind, SIGN_IN_CHANGE_SCOPE } from '../changes.ts';
import type { Core } from '../core.ts';
import type { Trx } from '../db/schema.ts';
import { conflict } from '../errors.ts';
import { nowIso } from '../ids.ts';

/** What a change records: the audit entry written in the transaction and the notice published after it. */
export interface ChangeRecord {
  /**
   * What listeners refetch. A record of no workspace (a user's own tokens) is published only as
   * `sign-in` (a sign-in ended); other kinds of it are audited, not published.
   */
  kind?: ChangeKind;
  action: string;
  targetType: string;
  targetId: string | null;
  details?: Record<string, unknown>;
}

/** Records one change inside a `mutate` transaction. */
export type RecordChange = (change: ChangeRecord) => Promise<void>;

/**
 * Runs `work` in one transaction; each `record` call writes an audit entry inside it, and the
 * matching change notices go out only after the commit. `workspaceId` is null for a user's own
 * records (personal access tokens, accounts), which are audited but not published. A
 * unique-constraint race comes back as CONFLICT.
 */
export async function mutate<T>(
  core: Core,
  actor: Actor,
  workspaceId: string | null,
  work: (trx: Trx, record: RecordChange) => Promise<T>,
): Promise<T> {
  const events: ChangeEvent[] = [];
  const result = await runTransaction(core, async (trx) => {
    const record: RecordChange = async (change) => {
      await recordAudit(trx, {
        workspaceId,
        actor,
        action: change.action,
        targetType: change.targetType,
        targetId: change.targetId,
        ...(change.details ? { details: change.details } : {}),
      });
      // A user's own records are published only when a sign-in ended: open streams must hear it.
      const scope = workspaceId ?? (change.kind === 'sign-in' ? SIGN_IN_CHANGE_SCOPE : null);
      if (scope !== null && change.kind) {
        events.push({
          workspaceId: scope,
          kind: change.kind,
          id: change.targetId,
          action: change.action,
          at: nowIso(),
        });
      }
    };
    return work(trx, record);
  });
  for (const event of events) core.changes.publish(event);
  return result;
}

/** Whether a database error is a unique-constraint violation (PostgreSQL 23505, SQLite SQLITE_CONSTRAINT_UNIQUE). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * Whether the database could not be reached or answered "not now": PostgreSQL connection
 * exceptions (class 08) and shutdowns (57P01-57P03), a connection cut mid-query, a refused or
 * reset socket, SQLite still busy after its timeout. The caller may retry shortly; it is an
 * outage, not a bug.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const found = error as { code?: unknown; message?: unknown } | null;
  const code = typeof found?.code === 'string' ? found.code : '';
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'SQLITE_BUSY'].includes(code)) return true;
  // node-postgres and its pool report a lost or unusable connection with these messages and no code.
  return (
    typeof found?.message === 'string' &&
    /Connection terminated|connection error|not queryable|timeout exceeded when trying to connect|the database system is (starting up|shutting down)/i.test(
      found.message,
    )
  );
}

/**
 * Whether PostgreSQL gave up one of two transactions that waited for each other (deadlock
 * 40P01, serialization failure 40001): two admins changing the same rows in different orders.
 */
export function isConcurrencyAbort(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

/**
 * A transaction whose races with another writer (two admins at once: a unique constraint, or a
 * deadlock PostgreSQL broke) come back as CONFLICT; the rolled-back one changed nothing. On SQLite
 * a transaction begins immediate (it takes the write lock first, see db/connect.ts), so writers
 * from several processes queue rather than fail.
 */
export async function runTransaction<T>(core: Core, work: (trx: Trx) => Promise<T>): Promise<T> {
  try {
    return await core.db.transaction().execute(work);
  } catch (error) {
    if (isUniqueViolation(error) || isConcurrencyAbort(error))
      throw conflict('Someone else changed this at the same moment; reload and try again');
    throw error;
  }
}

/**
 * Tells listeners (caches, other instances, live clients) that a workspace record changed,
 * for the few writes outside `mutate` (first-run setup); call after commit.
 */
export function publishChange(
  core: Core,
  workspaceId: string,
  kind: ChangeKind,
  id: string | null,
  action: string,
): void {
  core.changes.publish({ workspaceId, kind, id, action, at: nowIso() });
}
