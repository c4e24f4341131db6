import type { AuditLogRow, DbOrTrx } from '../db/schema.ts';

/** Newest first; `before` is the id of the last entry of the previous page. */
export async function listAuditRows(
  db: DbOrTrx,
  workspaceId: string,
  limit: number,
  before?: { id: string; createdAt: string },
): Promise<AuditLogRow[]> {
  let query = db.selectFrom('audit_log').selectAll().where('workspace_id', '=', workspaceId);
  if (before) {
    query = query.where((eb) =>
      eb.or([
        eb('created_at', '<', before.createdAt),
        eb.and([eb('created_at', '=', before.createdAt), eb('id', '<', before.id)]),
      ]),
    );
  }
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

/** The time and id of one audit entry of a workspace (a page cursor). */
export function findAuditRow(db: DbOrTrx, workspaceId: string, id: string) {
  return db
    .selectFrom('audit_log')
    .select(['id', 'created_at'])
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
}
