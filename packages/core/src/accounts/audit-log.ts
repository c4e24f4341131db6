import { assertAdmin, type Membership } from '../access.ts';
import type { Core } from '../core.ts';
import { listAuditRows, findAuditRow } from './audit-repository.ts';
import { InputCheck } from './validation.ts';
import { type AuditView, toAuditView } from './views.ts';

const MAX_PAGE = 200;

/** One page of a workspace's audit log, newest first; pass `nextBefore` as `before` for the next page. */
export async function listAudit(
  core: Core,
  member: Membership,
  input: { limit: number; before?: string | undefined },
): Promise<{ entries: AuditView[]; nextBefore: string | null }> {
  assertAdmin(member);
  const check = new InputCheck();
  if (!Number.isInteger(input.limit) || input.limit < 1 || input.limit > MAX_PAGE) {
    check.fail('limit', `Limit must be a whole number from 1 to ${MAX_PAGE}`);
  }
  check.done();
  let cursor: { id: string; createdAt: string } | undefined;
  if (input.before) {
    const row = await findAuditRow(core.db, member.workspaceId, input.before);
    if (!row) {
      check.fail('before', 'Unknown audit entry');
      check.done();
    } else cursor = { id: row.id, createdAt: row.created_at };
  }
  const rows = await listAuditRows(core.db, member.workspaceId, input.limit + 1, cursor);
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return { entries: page.map(toAuditView), nextBefore: rows.length > input.limit && last ? last.id : null };
}
