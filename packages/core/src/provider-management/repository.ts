import type {
  CredentialCooldownRow,
  CustomModelRow,
  DbOrTrx,
  DefaultModelRow,
  ModelSettingRow,
  ProviderCredentialRow,
  ProviderInstallRow,
} from '../db/schema.ts';
import { conflict } from '../errors.ts';

// The whole provider configuration of a workspace in one read, and the version rules every
// provider-management write shares. Per-table queries live in `*-repository.ts` beside this.

/** Every provider-management row of one workspace. */
export interface WorkspaceProviderRows {
  installs: ProviderInstallRow[];
  credentials: ProviderCredentialRow[];
  customModels: CustomModelRow[];
  settings: ModelSettingRow[];
  defaults: DefaultModelRow[];
  cooldowns: CredentialCooldownRow[];
}

/**
 * Loads a workspace's whole provider configuration in six queries, whatever its
 * size: lists and the resolve cache are computed from this in memory.
 */
export async function loadWorkspaceRows(db: DbOrTrx, workspaceId: string): Promise<WorkspaceProviderRows> {
  const installs = await db
    .selectFrom('provider_installs')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at')
    .execute();
  const credentials = await db
    .selectFrom('provider_credentials')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const customModels = await db
    .selectFrom('custom_models')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const settings = await db
    .selectFrom('model_settings')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .execute();
  const defaults = await db
    .selectFrom('default_models')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .execute();
  const cooldowns = await db
    .selectFrom('credential_cooldowns')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .execute();
  return { installs, credentials, customModels, settings, defaults, cooldowns };
}

/** Throws CONFLICT when `expected` is given and differs from the stored version. */
export function checkVersion(what: string, stored: number, expected: number | undefined): void {
  if (expected !== undefined && stored !== expected) {
    throw conflict(
      `${what} was changed by someone else (version ${stored}, you sent ${expected}); reload and try again`,
    );
  }
}

/** CONFLICT for an update that matched no row: someone changed the record between read and write. */
export const staleRecord = (what: string) =>
  conflict(`${what} was changed by someone else just now; reload and try again`);

/** Number of rows an update or delete touched (bigint on some drivers). */
export const affected = (result: { numUpdatedRows?: bigint; numDeletedRows?: bigint }): number =>
  Number(result.numUpdatedRows ?? result.numDeletedRows ?? 0);
