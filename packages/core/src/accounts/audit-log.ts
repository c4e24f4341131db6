import type { Actor } from '../access.ts';
import type { Core } from '../core.ts';
import { authorize, type WorkspaceRef } from '../service/authorize.ts';
import { InputCheck } from '../service/input.ts';
import { findAuditRow, listAuditRows } from './audit-repository.ts';
import { type AuditView, toAuditView } from './views.ts';

// The audit log is written by `recordAudit` in `audit.ts`, inside each change's transaction
// (through `mutate`); this module only reads it.

const MAX_PAGE = 200;

/** One page of a workspace's audit log, newest first (owner or admin); pass `nextBefore` as `before` for the next page. */
export async function listAudit(
  core: Core,
  actor: Actor,
  input: WorkspaceRef & { limit: number; before?: string | undefined },
): Promise<{ entries: AuditView[]; nextBefore: string | null }> {
  const check = new InputCheck();
  const limit = check.integer('limit', input.limit, 1, MAX_PAGE, 'Limit');
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
  const rows = await listAuditRows(core.db, workspaceId, limit + 1, cursor);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { entries: page.map(toAuditView), nextBefore: rows.length > limit && last ? last.id : null };
}
