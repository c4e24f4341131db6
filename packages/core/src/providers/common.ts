import { type Actor, requireAdmin, requireMember } from '../access.ts';
import { recordAudit } from '../audit.ts';
import type { ChangeEvent, ChangeKind } from '../changes.ts';
import type { Core } from '../core.ts';
import type { Trx } from '../db/schema.ts';
import { conflict, notFound } from '../errors.ts';
import { nowIso } from '../ids.ts';

// Authorization and the transaction every provider-management write goes through. Adapter
// lookup, form values, provider validation and sealed secrets have their own modules.

/**
 * Checks that the actor may read (`write` false: any member) or change (`write` true:
 * owner or admin) the workspace. The system actor (CLI) may do both on an existing workspace.
 */
export async function authorize(
  core: Core,
  actor: Actor,
  workspaceId: string,
  write: boolean,
): Promise<void> {
  if (actor.kind === 'user') {
    if (write) await requireAdmin(core.db, actor.userId, workspaceId);
    else await requireMember(core.db, actor.userId, workspaceId);
    return;
  }
  const workspace = await core.db
    .selectFrom('workspaces')
    .select('id')
    .where('id', '=', workspaceId)
    .executeTakeFirst();
  if (!workspace) throw notFound('Workspace');
}

/** What a change records: the audit entry written in the transaction and the notice published after it. */
export interface ChangeRecord {
  kind: ChangeKind;
  action: string;
  targetType: string;
  targetId: string | null;
  details?: Record<string, unknown>;
}

/**
 * Runs `work` in one transaction; each `record` call writes an audit entry inside it,
 * and the matching change notices go out only after the commit.
 */
export async function mutate<T>(
  core: Core,
  actor: Actor,
  workspaceId: string,
  work: (trx: Trx, record: (change: ChangeRecord) => Promise<void>) => Promise<T>,
): Promise<T> {
  const events: ChangeEvent[] = [];
  const result = await runTransaction(core, async (trx) => {
    const record = async (change: ChangeRecord) => {
      await recordAudit(trx, {
        workspaceId,
        actor,
        action: change.action,
        targetType: change.targetType,
        targetId: change.targetId,
        ...(change.details ? { details: change.details } : {}),
      });
      events.push({
        workspaceId,
        kind: change.kind,
        id: change.targetId,
        action: change.action,
        at: nowIso(),
      });
    };
    return work(trx, record);
  });
  for (const event of events) core.changes.publish(event);
  return result;
}

/** Whether a database error is a unique-constraint violation (PostgreSQL 23505, SQLite SQLITE_CONSTRAINT_UNIQUE). */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** A transaction whose unique-constraint races (two admins at once) come back as CONFLICT. */
async function runTransaction<T>(core: Core, work: (trx: Trx) => Promise<T>): Promise<T> {
  try {
    return await core.db.transaction().execute(work);
  } catch (error) {
    if (isUniqueViolation(error))
      throw conflict('Someone else changed this at the same moment; reload and try again');
    throw error;
  }
}
