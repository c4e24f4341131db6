import { sql } from 'kysely';
import type { Core } from '../core.ts';
import { nowIso } from '../ids.ts';
import { getCredential } from './repository.ts';

/**
 * Rests a credential until `until` after an upstream failure (the gateway calls this), counting
 * repeated failures so backoff can grow. Runtime state, not a user change: no audit entry, but
 * a `cooldown` change notice so every instance's resolve cache and every console see it.
 */
export async function startCooldown(
  core: Core,
  input: { workspaceId: string; credentialId: string; until: Date | string; reason: string },
): Promise<{ until: string; failures: number }> {
  await getCredential(core.db, input.workspaceId, input.credentialId);
  const until = typeof input.until === 'string' ? input.until : input.until.toISOString();
  const now = nowIso();
  const row = await core.db
    .insertInto('credential_cooldowns')
    .values({
      credential_id: input.credentialId,
      workspace_id: input.workspaceId,
      until,
      reason: input.reason,
      failures: 1,
      updated_at: now,
    })
    .onConflict((conflict) =>
      conflict.column('credential_id').doUpdateSet({
        until,
        reason: input.reason,
        failures: sql<number>`credential_cooldowns.failures + 1`,
        updated_at: now,
      }),
    )
    .returning(['until', 'failures'])
    .executeTakeFirstOrThrow();
  core.changes.publish({
    workspaceId: input.workspaceId,
    kind: 'cooldown',
    id: input.credentialId,
    action: 'cooldown.start',
    at: now,
  });
  return { until: row.until, failures: Number(row.failures) };
}

/** Ends a credential's cooldown (a call with it succeeded again). */
export async function endCooldown(
  core: Core,
  input: { workspaceId: string; credentialId: string },
): Promise<boolean> {
  const result = await core.db
    .deleteFrom('credential_cooldowns')
    .where('workspace_id', '=', input.workspaceId)
    .where('credential_id', '=', input.credentialId)
    .executeTakeFirst();
  const ended = Number(result.numDeletedRows) > 0;
  if (ended) {
    core.changes.publish({
      workspaceId: input.workspaceId,
      kind: 'cooldown',
      id: input.credentialId,
      action: 'cooldown.end',
      at: nowIso(),
    });
  }
  return ended;
}
