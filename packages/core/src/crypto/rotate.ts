import { recordAudit } from '../audit.ts';
import type { Core } from '../core.ts';
import { CoreError } from '../errors.ts';
import { generateMasterKey, keyFileRotation, parseMasterKey } from './master-key.ts';

/** What a rotation did, and what the operator must do next (env-configured keys only). */
export interface RotationResult {
  rewrapped: number;
  newKeyId: string;
  /** Set when the key comes from the environment: how to switch running servers over. */
  nextSteps?: string;
}

/**
 * Re-wraps every workspace data key with a new master key in one transaction.
 * Secrets themselves are not touched (they are sealed by the data keys), so this is
 * fast, and running servers keep serving with the data keys they already unwrapped.
 * With a key file: the new key is staged as `master.key.next`, becomes `master.key`
 * after the commit, and the old one is kept as `master.key.previous`; servers that meet
 * the new key id re-read the file. With SWITCHBOARD_MASTER_KEY: pass the new key.
 */
export async function rotateMasterKey(
  core: Core,
  options: { newKey?: string | undefined } = {},
): Promise<RotationResult> {
  const source = core.masterKey;
  const audit = (count: number) => async (trx: Parameters<typeof recordAudit>[0]) =>
    recordAudit(trx, {
      workspaceId: null,
      actor: { kind: 'system', label: 'cli' },
      action: 'master_key.rotate',
      targetType: 'master_key',
      targetId: null,
      details: { rewrapped: count },
    });
  if (source.kind === 'env') {
    if (!options.newKey) {
      throw new CoreError(
        'BAD_REQUEST',
        'The master key comes from SWITCHBOARD_MASTER_KEY: set SWITCHBOARD_MASTER_KEY_NEW to the new key (32 random bytes, base64) and run again',
        { SWITCHBOARD_MASTER_KEY_NEW: ['required when the master key comes from the environment'] },
      );
    }
    const next = parseMasterKey(options.newKey, 'SWITCHBOARD_MASTER_KEY_NEW');
    const rewrapped = await core.keyring.rewrapAll(next, (trx, count) => audit(count)(trx));
    return {
      rewrapped,
      newKeyId: next.id,
      nextSteps:
        'Set SWITCHBOARD_MASTER_KEY to the new key and SWITCHBOARD_MASTER_KEY_PREVIOUS to the old one, restart the servers one by one, then drop SWITCHBOARD_MASTER_KEY_PREVIOUS.',
    };
  }
  const next = generateMasterKey();
  keyFileRotation.stage(source.path, next);
  try {
    const rewrapped = await core.keyring.rewrapAll(next, (trx, count) => audit(count)(trx));
    keyFileRotation.commit(source.path);
    return { rewrapped, newKeyId: next.id };
  } catch (error) {
    keyFileRotation.abort(source.path);
    throw error;
  }
}
