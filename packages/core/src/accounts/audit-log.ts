import type { Actor } from '../access.ts';
import type { Core } from '../core.ts';
import { authorize, type WorkspaceRef } from '../service/authorize.ts';
import { InputCheck } from '../service/input.ts';
import { type AuditFilter, findAuditRow, listAuditRows } from './audit-repository.ts';
import { type AuditView, toAuditView } from './views.ts';

// The audit log is written by `recordAudit` in `audit.ts`, inside each change's transaction
// (through `mutate`); this module only reads it.

export type { AuditFilter } from './audit-repository.ts';

const MAX_PAGE = 200;

/** An action name or family: dotted lower-case words (`credential`, `member.role_change`). */
const ACTION = /^[a-z_-]+(\.[a-z_-]+)*$/;

/** The ISO form of a time filter, or a field error. */
function isoTime(check: InputCheck, field: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  const time = Date.parse(value);
  if (Number.isNaN(time)) {
    check.fail(field, 'must be an ISO date or time such as 2026-11-01');
    return undefined;
  }
  return new Date(time).toISOString();
}

/**
 * One page of a workspace's audit log, newest first (owner or admin), filtered by who
 * (`actorUserId`), what (`action`: one action or a family such as `credential`) and when
 * (`from` inclusive, `to` exclusive); pass `nextBefore` as `before` for the next page.
 */
export async function listAudit(
  core: Core,
  actor: Actor,
  input: WorkspaceRef & { limit: number; before?: string | undefined } & AuditFilter,
): Promise<{ entries: AuditView[]; nextBefore: string | null }> {
  const check = new InputCheck();
  const limit = check.integer('limit', input.limit, 1, MAX_PAGE, 'Limit');
  if (input.action && !ACTION.test(input.action))
    check.fail('action', 'must be an action such as credential.create, or a family such as credential');
  const filter: AuditFilter = {
    actorUserId: input.actorUserId || undefined,
    action: input.action || undefined,
    from: isoTime(check, 'from', input.from),
    to: isoTime(check, 'to', input.to),
  };
  if (filter.from && filter.to && filter.from >= filter.to) check.fail('from', 'must be before to');
  check.done();
  const { workspaceId } = input;
  await authorize(core, actor, workspaceId, 'manage');
  let cursor: { id: string; createdAt: string } | undefined;
  if (input.before) {
    const row = await findAuditRow(core.db, workspaceId, input.before);
    if (!row) {
      check.fail('before', 'Unknown audit entry');
      check.done();
    } else cursor = { id: row.id, createdAt: row.created_at };
  }
  const rows = await listAuditRows(core.db, workspaceId, limit + 1, cursor, filter);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { entries: page.map(toAuditView), nextBefore: rows.length > limit && last ? last.id : null };
}
