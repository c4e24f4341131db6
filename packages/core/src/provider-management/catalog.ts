import type { ModelType } from '@switchboard/provider-spec';
import type { Actor } from '../access.ts';
import type { Core } from '../core.ts';
import { CoreError, conflict } from '../errors.ts';
import { newId, nowIso } from '../ids.ts';
import { adapterFor } from './adapters.ts';
import { authorize } from '../service/authorize.ts';
import { mutate } from '../service/mutate.ts';
import { countProviderCredentials, deleteProviderCredentials } from './credential-repository.ts';
import { countProviderDefaults } from './default-repository.ts';
import { deleteInstall, findInstall, insertInstall, installedProviderIds } from './install-repository.ts';
import { deleteProviderModels } from './model-repository.ts';
import { checkVersion, loadWorkspaceRows } from './repository.ts';
import { buildState, credentialView, isUsable, modelStatus, type WorkspaceProviderState } from './state.ts';
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
  const installed = await installedProviderIds(core.db, input.workspaceId);
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
    if (isUsable(modelStatus(state, model, now).status)) count.active++;
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
    if (await findInstall(trx, input.workspaceId, input.provider))
      throw conflict(`${adapter.manifest.label} is already installed`);
    await insertInstall(trx, {
      id: newId('prv'),
      workspaceId: input.workspaceId,
      provider: input.provider,
      at: nowIso(),
    });
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
 * Uninstalls a provider. With credentials left, the caller must pass `confirm: true`; then its
 * credentials, custom models and settings go in the same transaction. Its defaults stay, shown
 * as `provider-removed` until the provider is installed again or another default is picked.
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
): Promise<{ provider: string; removedCredentials: number; removedModels: number; keptDefaults: number }> {
  await authorize(core, actor, input.workspaceId, true);
  const adapter = adapterFor(core, input.provider);
  const { workspaceId, provider } = input;
  return mutate(core, actor, workspaceId, async (trx, record) => {
    const install = await findInstall(trx, workspaceId, provider);
    if (!install) throw new CoreError('NOT_FOUND', `${adapter.manifest.label} is not installed`);
    checkVersion(adapter.manifest.label, install.version, input.version);
    const credentials = await countProviderCredentials(trx, workspaceId, provider);
    if (credentials > 0 && input.confirm !== true) {
      throw new CoreError(
        'PRECONDITION_FAILED',
        `Uninstalling ${adapter.manifest.label} removes its ${credentials} credential(s), custom models and settings; send confirm: true to go ahead`,
      );
    }
    await deleteProviderCredentials(trx, workspaceId, provider);
    const removedModels = await deleteProviderModels(trx, workspaceId, provider);
    await deleteInstall(trx, install.id);
    const keptDefaults = await countProviderDefaults(trx, workspaceId, provider);
    const result = { provider, removedCredentials: credentials, removedModels, keptDefaults };
    await record({
      kind: 'provider',
      action: 'provider.uninstall',
      targetType: 'provider',
      targetId: provider,
      details: result,
    });
    return result;
  });
}
