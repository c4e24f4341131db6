import type { DbOrTrx, ProviderInstallRow, Trx } from '../db/schema.ts';

// Queries on the providers a workspace installed.

/** A workspace's install of one provider, if any. */
export function findInstall(
  db: DbOrTrx,
  workspaceId: string,
  provider: string,
): Promise<ProviderInstallRow | undefined> {
  return db
    .selectFrom('provider_installs')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('provider', '=', provider)
    .executeTakeFirst();
}

/** The ids of the providers a workspace installed. */
export async function installedProviderIds(db: DbOrTrx, workspaceId: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom('provider_installs')
    .select('provider')
    .where('workspace_id', '=', workspaceId)
    .execute();
  return new Set(rows.map((row) => row.provider));
}

/** Stores a new install. */
export async function insertInstall(
  trx: Trx,
  install: { id: string; workspaceId: string; provider: string; at: string },
): Promise<void> {
  await trx
    .insertInto('provider_installs')
    .values({
      id: install.id,
      workspace_id: install.workspaceId,
      provider: install.provider,
      created_at: install.at,
      updated_at: install.at,
    })
    .execute();
}

/** Deletes an install row. */
export async function deleteInstall(trx: Trx, installId: string): Promise<void> {
  await trx.deleteFrom('provider_installs').where('id', '=', installId).execute();
}
