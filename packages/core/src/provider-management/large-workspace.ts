import type { Core } from '../core.ts';
import type { ProviderCredentialRow } from '../db/schema.ts';
import { newId, nowIso } from '../ids.ts';
import { sealValues } from './sealed-values.ts';

/** Sizes of a large workspace, as the management target states them. */
export interface LargeWorkspaceSize {
  models: number;
  credentials: number;
}

/**
 * Fills a workspace with every provider the core has installed, provider credentials,
 * custom models and model credentials up to the given totals, written straight to storage
 * (no upstream calls): the data set of the query-count test and the management benchmark.
 */
export async function seedLargeWorkspace(
  core: Core,
  workspaceId: string,
  size: LargeWorkspaceSize,
): Promise<{ models: number; credentials: number }> {
  const now = nowIso();
  const adapters = [...core.providers.values()];
  let models = 0;
  let credentials = 0;
  const credentialRows: ProviderCredentialRow[] = [];
  const makeCredential = async (
    provider: string,
    model: { name: string; type: string } | null,
  ): Promise<ProviderCredentialRow> => {
    const id = newId('crd');
    const adapter = core.providers.get(provider as never);
    const form =
      (model ? adapter?.manifest.modelCredentialForm : adapter?.manifest.providerCredentialForm) ?? [];
    const stored = await sealValues(core, core.db, workspaceId, id, form, {
      api_key: `sk-test-seed-${credentials}`,
      base_url: 'http://127.0.0.1:9/v1',
    });
    credentials++;
    return {
      id,
      workspace_id: workspaceId,
      provider,
      scope: model ? `${model.type}/${model.name}` : '',
      model: model?.name ?? null,
      model_type: model?.type ?? null,
      name: `key ${credentials}`,
      ...stored,
      is_active: 1,
      status: 'valid',
      status_reason: null,
      validated_at: now,
      last_valid_at: now,
      created_at: now,
      updated_at: now,
      version: 1,
    };
  };
  for (const adapter of adapters) {
    await core.db
      .insertInto('provider_installs')
      .values({
        id: newId('prv'),
        workspace_id: workspaceId,
        provider: adapter.manifest.id,
        created_at: now,
        updated_at: now,
      })
      .execute();
    models += adapter.manifest.models.length;
    credentialRows.push(await makeCredential(adapter.manifest.id, null));
  }
  const customizable = adapters.filter((adapter) =>
    adapter.manifest.configurationMethods.includes('customizable'),
  );
  const customRows = [];
  for (let index = 0; models < size.models && customizable.length > 0; index++) {
    const adapter = customizable[index % customizable.length];
    if (!adapter) break;
    const model = { name: `custom-model-${index}`, type: adapter.manifest.modelTypes[0] ?? 'llm' };
    customRows.push({
      id: newId('mdl'),
      workspace_id: workspaceId,
      provider: adapter.manifest.id,
      model: model.name,
      model_type: model.type,
      source: index % 2 === 0 ? 'custom' : 'discovered',
      removed_at: null,
      created_at: now,
      updated_at: now,
    });
    if (credentials < size.credentials) credentialRows.push(await makeCredential(adapter.manifest.id, model));
    models++;
  }
  for (let start = 0; start < customRows.length; start += 100) {
    await core.db
      .insertInto('custom_models')
      .values(customRows.slice(start, start + 100))
      .execute();
  }
  for (let start = 0; start < credentialRows.length; start += 100) {
    await core.db
      .insertInto('provider_credentials')
      .values(credentialRows.slice(start, start + 100))
      .execute();
  }
  return { models, credentials };
}
