import { recordAudit } from '../audit.ts';
import { MASTER_KEY_CHANGE_SCOPE } from '../changes.ts';
import type { Core } from '../core.ts';
import { CoreError } from '../errors.ts';
import { nowIso } from '../ids.ts';
import { generateMasterKey, keyFiles, parseMasterKey } from './master-key.ts';

/** What a rotation did, and what the operator must do next (env-configured keys only). */
export interface RotationResult {
  rewrapped: number;
  newKeyId: string;
  /** Keys whose files were deleted because nothing refers to them any more. */
  retiredKeyIds: string[];
  /** Older keys the database still refers to (environment keys only: files are settled by the rotation). */
  stillNeededKeyIds: string[];
  /** Set when the key comes from the environment: how to switch running servers over. */
  nextSteps?: string;
}

/**
 * Re-wraps every workspace data key with a new master key, and makes it the database's
 * current key, in one transaction under the rotation lock. Secrets themselves are not touched
 * (they are sealed by the data keys), so this is fast, and running servers keep serving with
 * the data keys they already unwrapped; they hear of the rotation through the change feed,
 * and wrap any new data key with whatever key the database names at that moment.
 *
 * With a key file the new key is first written durably as `master.key.<id>`; after the commit
 * it becomes `master.key`, and files of keys no row refers to any more are deleted. A rotation
 * stopped at any point is finished by the next one. With SWITCHBOARD_MASTER_KEY: pass the new key.
 */
export async function rotateMasterKey(
  core: Core,
  options: { newKey?: string | undefined } = {},
): Promise<RotationResult> {
  const source = core.masterKey;
  if (source.kind === 'env' && !options.newKey) {
    throw new CoreError(
      'BAD_REQUEST',
      'The master key comes from SWITCHBOARD_MASTER_KEY: set SWITCHBOARD_MASTER_KEY_NEW to the new key (32 random bytes, base64) and run again',
      { SWITCHBOARD_MASTER_KEY_NEW: ['required when the master key comes from the environment'] },
    );
  }
  const next =
    source.kind === 'env' && options.newKey
      ? parseMasterKey(options.newKey, 'SWITCHBOARD_MASTER_KEY_NEW')
      : generateMasterKey();
  const rewrapped = await core.keyring.exclusive(async (db) => {
    // On disk before any row refers to it: a crash after the commit must not lose the key.
    if (source.kind === 'file') keyFiles.keep(source.path, next);
    const count = await core.keyring.rewrapAll(db, next);
    await recordAudit(db, {
      workspaceId: null,
      actor: { kind: 'system', label: 'cli' },
      action: 'master_key.rotate',
      targetType: 'master_key',
      targetId: next.id,
      details: { rewrapped: count },
    });
    return count;
  });
  await core.keyring.refresh();
  core.changes.publish({
    workspaceId: MASTER_KEY_CHANGE_SCOPE,
    kind: 'master-key',
    id: next.id,
    action: 'master_key.rotate',
    at: nowIso(),
  });
  const settled = await settleMasterKeys(core);
  return {
    rewrapped,
    newKeyId: next.id,
    ...settled,
    ...(source.kind === 'env'
      ? {
          nextSteps:
            'Set SWITCHBOARD_MASTER_KEY to the new key and SWITCHBOARD_MASTER_KEY_PREVIOUS to the old one, restart the servers one by one, then drop SWITCHBOARD_MASTER_KEY_PREVIOUS.',
        }
      : {}),
  };
}

/**
 * Brings the key files in line with the database, under the rotation lock: `master.key` holds
 * the current key, every key a row refers to keeps its `master.key.<id>` copy, and every other
 * key file (a key retired by this or an earlier rotation, a key staged by a rotation that never
 * committed, the `.previous` and `.next` files of earlier versions) is deleted.
 */
export async function settleMasterKeys(
  core: Core,
): Promise<{ retiredKeyIds: string[]; stillNeededKeyIds: string[] }> {
  const source = core.masterKey;
  return core.keyring.exclusive(async (db) => {
    const { current, inUse } = await core.keyring.keysInUse(db);
    const stillNeededKeyIds = inUse.map((key) => key.id).filter((id) => id !== current.id);
    if (source.kind === 'env') return { retiredKeyIds: [], stillNeededKeyIds };
    // Copies first: `master.key` may hold the only copy of a key that rows still refer to.
    for (const key of inUse) keyFiles.keep(source.path, key);
    const replaced = keyFiles.promote(source.path, current);
    const retired = new Set(keyFiles.retire(source.path, inUse));
    if (replaced && !inUse.some((key) => key.id === replaced)) retired.add(replaced);
    return { retiredKeyIds: [...retired], stillNeededKeyIds };
  });
}
