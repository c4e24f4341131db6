import type { ModelType } from '@switchboard/providers/spec';
import type { Actor } from '../access.ts';
import type { Core } from '../core.ts';
import { CoreError, conflict } from '../errors.ts';
import { newId, nowIso } from '../ids.ts';
import { authorize } from '../service/authorize.ts';
import { mutate } from '../service/mutate.ts';
import { adapterFor } from './common.ts';
import { checkVersion, loadWorkspaceRows } from './repository.ts';
import { buildState, credentialView, modelStatus, type WorkspaceProviderState } from './state.ts';
import type { CatalogEntry, ProviderView } from './types.ts';

/** Loads and indexes a workspace's provider configuration (six queries). */
export async function loadState(core: Core, workspaceId: string): Promise<WorkspaceProviderState> {
  return buildState(core.providers, await loadWorkspaceRows(core.db, workspaceId));
}

/** Every provider this server ships, with its manifest and whether the workspace installed it. */
export async function providerCatalog(
  core: Core,
  actor: Actor,
  input: { workspaceId: string; type?: ModelType | undefined },
): Promise<CatalogEntry[]> {
  await authorize(core, actor, input.workspaceId, false);
  const installs = await core.db
    .selectFrom('provider_installs')
    .select('provider')
    .where('workspace_id', '=', input.workspaceId)
    .execute();
  const installed = new Set(installs.map((row) => row.provider));
  return [...core.providers.values()]
    .filter((adapter) => !input.type || adapter.manifest.modelTypes.includes(input.type))
    .map((adapter) => ({ manifest: adapter.manifest, installed: installed.has(adapter.manifest.id) }));
}

/** The workspace's installed providers with their provider credentials (masked), in a fixed number of queries. */
export async function listProviders(
  core: Core,
  actor: Actor,
  input: { workspaceId: string },
): Promise<ProviderView[]> {
  await authorize(core, actor, input.workspaceId, false);
  const state = await loadState(core, input.workspaceId);
  const now = Date.now();
  const counts = new Map<string, { total: number; active: number }>();
  for (const model of state.models) {
    const count = counts.get(model.provider) ?? { total: 0, active: 0 };
    count.total++;
    if (modelStatus(state, model, now).status === 'active') count.active++;
    counts.set(model.provider, count);
  }
  return [...state.providers.values()].map(({ install, manifest }) => {
    const credentials = (state.credentialsByScope.get(`${manifest.id}\u0000`) ?? []).map((row) =>
      credentialView(row, state.cooldowns.get(row.id), now),
    );
    return {
      id: manifest.id,
      label: manifest.label,
      description: manifest.description,
      icon: manifest.icon,
      helpUrl: manifest.helpUrl,
      modelTypes: manifest.modelTypes,
      configurationMethods: manifest.configurationMethods,
      providerCredentialForm: manifest.providerCredentialForm,
      modelCredentialForm: manifest.modelCredentialForm,
      credentials,
      activeCredentialId: credentials.find((credential) => credential.active)?.id ?? null,
      modelCount: counts.get(manifest.id)?.total ?? 0,
      activeModelCount: counts.get(manifest.id)?.active ?? 0,
      installedAt: install.created_at,
      version: install.version,
    };
  });
}

/** Installs a provider from the catalog in a workspace. */
export async function installProvider(
  core: Core,
  actor: Actor,
  input: { workspaceId: string; provider: string },
): Promise<{ provider: string; installed: true; version: number }> {
  await authorize(core, actor, input.workspaceId, true);
  const adapter = adapterFor(core, input.provider);
  return mutate(core, actor, input.workspaceId, async (trx, record) => {
    const existing = await trx
      .selectFrom('provider_installs')
      .select('id')
      .where('workspace_id', '=', input.workspaceId)
      .where('provider', '=', input.provider)
      .executeTakeFirst();
    if (existing) throw conflict(`${adapter.manifest.label} is already installed`);
    const id = newId('prv');
    const now = nowIso();
    await trx
      .insertInto('provider_installs')
      .values({
        id,
        workspace_id: input.workspaceId,
        provider: input.provider,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await record({
      kind: 'provider',
      action: 'provider.install',
      targetType: 'provider',
      targetId: input.provider,
    });
    return { provider: input.provider, installed: true as const, version: 1 };
  });
}

/**
 * Uninstalls a provider. With credentials left, the caller must pass `confirm: true`;
 * then its credentials, custom models, settings and defaults go in the same transaction.
 */
export async function uninstallProvider(
  core: Core,
  actor: Actor,
  input: {
    workspaceId: string;
    provider: string;
    confirm?: boolean | undefined;
    version?: number | undefined;
  },
): Promise<{ provider: string; removedCredentials: number; removedModels: number; removedDefaults: number }> {
  await authorize(core, actor, input.workspaceId, true);
  const adapter = adapterFor(core, input.provider);
  return mutate(core, actor, input.workspaceId, async (trx, record) => {
    const install = await trx
      .selectFrom('provider_installs')
      .selectAll()
      .where('workspace_id', '=', input.workspaceId)
      .where('provider', '=', input.provider)
      .executeTakeFirst();
    if (!install) throw new CoreError('NOT_FOUND', `${adapter.manifest.label} is not installed`);
    checkVersion(adapter.manifest.label, install.version, input.version);
    const credentialCount = await trx
      .selectFrom('provider_credentials')
      .select((eb) => eb.fn.countAll<string | number>().as('count'))
      .where('workspace_id', '=', input.workspaceId)
      .where('provider', '=', input.provider)
      .executeTakeFirstOrThrow();
    const credentials = Number(credentialCount.count);
    if (credentials > 0 && input.confirm !== true) {
      throw new CoreError(
        'PRECONDITION_FAILED',
        `Uninstalling ${adapter.manifest.label} removes its ${credentials} credential(s), custom models, settings and defaults; send confirm: true to go ahead`,
      );
    }
    await trx
      .deleteFrom('credential_cooldowns')
      .where('workspace_id', '=', input.workspaceId)
      .where('credential_id', 'in', (eb) =>
        eb
          .selectFrom('provider_credentials')
          .select('id')
          .where('workspace_id', '=', input.workspaceId)
          .where('provider', '=', input.provider),
      )
      .execute();
    const { workspaceId, provider } = input;
    await trx
      .deleteFrom('provider_credentials')
      .where('workspace_id', '=', workspaceId)
      .where('provider', '=', provider)
      .execute();
    const models = await trx
      .deleteFrom('custom_models')
      .where('workspace_id', '=', workspaceId)
      .where('provider', '=', provider)
      .executeTakeFirst();
    await trx
      .deleteFrom('model_settings')
      .where('workspace_id', '=', workspaceId)
      .where('provider', '=', provider)
      .execute();
    const defaults = await trx
      .deleteFrom('default_models')
      .where('workspace_id', '=', workspaceId)
      .where('provider', '=', provider)
      .executeTakeFirst();
    await trx.deleteFrom('provider_installs').where('id', '=', install.id).execute();
    const result = {
      provider: input.provider,
      removedCredentials: credentials,
      removedModels: Number(models.numDeletedRows),
      removedDefaults: Number(defaults.numDeletedRows),
    };
    await record({
      kind: 'provider',
      action: 'provider.uninstall',
      targetType: 'provider',
      targetId: input.provider,
      details: result,
    });
    return result;
  });
}
