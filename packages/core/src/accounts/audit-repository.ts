import type { AuditLogRow, DbOrTrx } from '../db/schema.ts';

/** Which audit entries to list: by who, what and when (each optional). */
export interface AuditFilter {
  /** Entries of this user's actions only. */
  actorUserId?: string | undefined;
  /** An action (`credential.create`) or a family of them (`credential`). */
  action?: string | undefined;
  /** ISO times: entries at or after `from`, and before `to`. */
  from?: string | undefined;
  to?: string | undefined;
}

/** Newest first; `before` is the id of the last entry of the previous page. */
export async function listAuditRows(
  db: DbOrTrx,
  workspaceId: string,
  limit: number,
  before?: { id: string; createdAt: string },
  filter: AuditFilter = {},
): Promise<AuditLogRow[]> {
  let query = db.selectFrom('audit_log').selectAll().where('workspace_id', '=', workspaceId);
  if (filter.actorUserId) query = query.where('actor_user_id', '=', filter.actorUserId);
  const { action } = filter;
  if (action) {
    // Action names are dotted words (no LIKE wildcards): a family is its prefix and a dot.
    query = query.where((eb) => eb.or([eb('action', '=', action), eb('action', 'like', `${action}.%`)]));
  }
  if (filter.from) query = query.where('created_at', '>=', filter.from);
  if (filter.to) query = query.where('created_at', '<', filter.to);
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
