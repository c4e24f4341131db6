import type { Core } from '../core.ts';
import type { ResolvedCredential } from '../provider-management/resolve.ts';
import { storedRestUntil } from '../provider-management/credential-repository.ts';
import { openValues } from '../provider-management/sealed-values.ts';

/**
 * The credential an API key is pinned to, decrypted for a provider call, with its stored
 * cooldown; null when it no longer exists (removed since the key was pinned). For the gateway,
 * which caches the answer until the workspace changes (a rest of the key only updates its cooldown).
 */
export async function openPinnedCredential(
  core: Core,
  workspaceId: string,
  provider: string,
  credentialId: string,
): Promise<ResolvedCredential | null> {
  const row = await core.db
    .selectFrom('provider_credentials')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('provider', '=', provider)
    .where('id', '=', credentialId)
    .executeTakeFirst();
  if (!row) return null;
  const cooldownUntilMs = await storedRestUntil(core.db, credentialId);
  return { id: row.id, values: Object.freeze(await openValues(core, core.db, row)), cooldownUntilMs };
}
