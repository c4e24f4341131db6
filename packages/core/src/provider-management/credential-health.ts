import type { Actor } from '../access.ts';
import type { Core } from '../core.ts';
import { authorize, type WorkspaceRef } from '../service/authorize.ts';
import { listCredentialSuccesses } from './credential-repository.ts';

/** When one credential last worked. */
export interface CredentialLastSuccess {
  credentialId: string;
  /** The later of its last passing check and its last successful gateway call; null when neither happened. */
  at: string | null;
  /** What succeeded then: a check (saving the key counts) or a gateway call; null with `at`. */
  via: 'check' | 'call' | null;
}

/**
 * When each credential of the workspace last worked, failing ones included: the health page
 * shows it next to the latest verdict. Read from what is already recorded (the last passing
 * check on the credential, the gateway's usage events), so the gateway writes nothing for it
 * (decision 0029). Any member may read it, as they read the verdicts.
 */
export async function credentialLastSuccesses(
  core: Core,
  actor: Actor,
  input: WorkspaceRef,
): Promise<CredentialLastSuccess[]> {
  await authorize(core, actor, input.workspaceId, 'read');
  const rows = await listCredentialSuccesses(core.db, input.workspaceId);
  return rows.map((row) => {
    const check = row.last_valid_at;
    const call = row.last_call_at;
    // Both are ISO times in UTC (`toISOString`), so they compare as strings.
    if (call !== null && (check === null || call > check))
      return { credentialId: row.id, at: call, via: 'call' };
    return { credentialId: row.id, at: check, via: check === null ? null : 'check' };
  });
}
