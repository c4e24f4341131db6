import type { Actor } from './access.ts';
import type { DbOrTrx } from './db/schema.ts';
import { newId, nowIso } from './ids.ts';

/** One audited change. `details` says what changed, never a secret value. */
export interface AuditEntry {
  workspaceId: string | null;
  actor: Actor;
  /** Dotted verb: `credential.create`, `member.role_change`, `default.set`... */
  action: string;
  targetType: string;
  targetId: string | null;
  details?: Record<string, unknown>;
}

// Defence in depth: callers never pass secrets, and these keys are dropped if one slips in.
const SECRET_KEY = /(secret|password|api_?key|token|private_?key|authorization)$/i;

function scrub(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scrub);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([key, inner]) => [
        key,
        SECRET_KEY.test(key) && typeof inner === 'string' ? '[redacted]' : scrub(inner),
      ]),
    );
  }
  return value;
}

/** Writes an audit entry; pass the transaction of the change so both commit or neither does. */
export async function recordAudit(db: DbOrTrx, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      id: newId('aud'),
      workspace_id: entry.workspaceId,
      actor_user_id: entry.actor.kind === 'user' ? entry.actor.userId : null,
      action: entry.action,
      target_type: entry.targetType,
      target_id: entry.targetId,
      details: JSON.stringify(
        scrub({
          ...(entry.details ?? {}),
          ...(entry.actor.kind === 'system' ? { via: entry.actor.label } : {}),
        }),
      ),
      created_at: nowIso(),
    })
    .execute();
}
