import type { CredentialValues, ModelPricing, ModelType, ProviderAdapter } from '@switchboard/provider-spec';
import type { Actor } from '../access.ts';
import type { Core } from '../core.ts';
import type { CustomModelRow, ProviderCredentialRow, Trx } from '../db/schema.ts';
import { badRequest, conflict, notFound } from '../errors.ts';
import { newId, nowIso } from '../ids.ts';
import { adapterFor, assertCustomizable, assertServesType, installedAdapter } from './adapters.ts';
import { loadState } from './catalog.ts';
import { authorize } from '../service/authorize.ts';
import { InputCheck } from '../service/input.ts';
import { type ChangeRecord, mutate } from '../service/mutate.ts';
import {
  cooldownsById,
  credentialScope,
  getCredential,
  listModelCredentials,
  listScopeCredentials,
  makeActive,
} from './credential-repository.ts';
import { insertCredential } from './credentials.ts';
import { normalizeValues } from './form-values.ts';
import { checkPricing, type ModelPricingInput, parsePricing, pricingColumn } from './model-pricing.ts';
import { bumpCustomModel, findCustomModel, insertCustomModel, listCustomModels } from './model-repository.ts';
import { providerFieldError, VALIDATION_TIMEOUT_MS, validateWithAdapter } from './provider-validation.ts';
import { changeModelSettings, findModel } from './model-settings.ts';
import { checkVersion, staleRecord } from './repository.ts';
import { openValues } from './sealed-values.ts';
import { credentialView, modelKey, modelView } from './state.ts';
import type {
  CredentialView,
  CustomModelCredentials,
  DiscoveredModel,
  ModelRef,
  ModelSource,
  ModelView,
} from './types.ts';

/** The credential a custom model is added with: new form values, or an existing credential of the provider. */
export type ModelCredentialInput =
  | { name?: string | undefined; values: Record<string, unknown> }
  | { credentialId: string };

/** Input of `addCustomModel`. */
export interface AddCustomModelInput {
  workspaceId: string;
  provider: string;
  model: ModelRef;
  /** May be absent only when re-adding a removed model that kept its credentials. */
  credential?: ModelCredentialInput | undefined;
  /**
   * The model's price in USD per million tokens (the catalog's shape); null: no price. Left out:
   * a new model has no price, an existing or restored one keeps its own.
   */
  pricing?: ModelPricingInput | undefined;
}

/** What `addCustomModel` did. */
export interface AddCustomModelResult {
  provider: string;
  model: ModelRef;
  /** The model already existed: the credential was attached to it instead of making a duplicate. */
  attached: boolean;
  /** The model had been removed and is back, with the credentials it kept. */
  restored: boolean;
  /** The credential added or reused, or the active one of a restored model's kept credentials. */
  credential: CredentialView | null;
}

/** The workspace's models, optionally of one provider and type, each with status and reason; fixed query count. */
export async function listModels(
  core: Core,
  actor: Actor,
  input: { workspaceId: string; provider?: string | undefined; type?: ModelType | undefined },
): Promise<ModelView[]> {
  await authorize(core, actor, input.workspaceId, false);
  const state = await loadState(core, input.workspaceId);
  const now = Date.now();
  return state.models
    .filter(
      (model) =>
        (!input.provider || model.provider === input.provider) && (!input.type || model.type === input.type),
    )
    .map((model) => modelView(state, model, now));
}

/** Values of a credential prepared for a model form: its own, or those of an existing credential. */
async function prepareModelCredential(
  core: Core,
  workspaceId: string,
  adapter: ProviderAdapter,
  model: ModelRef,
  credential: ModelCredentialInput,
): Promise<{ reuse: ProviderCredentialRow } | { name: string | undefined; values: CredentialValues }> {
  const form = adapter.manifest.modelCredentialForm;
  if ('credentialId' in credential) {
    const row = await getCredential(core.db, workspaceId, credential.credentialId);
    if (row.provider !== adapter.manifest.id) throw notFound('Credential');
    if (row.scope === credentialScope(model)) return { reuse: row };
    const stored = await openValues(core, core.db, row);
    const known = new Set(form.map((field) => field.id));
    const values = normalizeValues(
      form,
      Object.fromEntries(Object.entries(stored).filter(([id]) => known.has(id))),
    );
    await validateWithAdapter(adapter, values, { model: model.name, type: model.type });
    return { name: row.name, values };
  }
  const values = normalizeValues(form, credential.values);
  await validateWithAdapter(adapter, values, { model: model.name, type: model.type });
  return { name: credential.name, values };
}

/** Creates, restores or attaches to a custom model row inside a transaction. */
async function upsertCustomModel(
  trx: Trx,
  record: (change: ChangeRecord) => Promise<void>,
  workspaceId: string,
  provider: string,
  model: ModelRef,
  source: Exclude<ModelSource, 'predefined'>,
  addingCredential: boolean,
  pricing?: string | null,
): Promise<{ row: CustomModelRow; attached: boolean; restored: boolean }> {
  const existing = await findCustomModel(trx, workspaceId, provider, model);
  const now = nowIso();
  if (existing && existing.removed_at === null) {
    if (!addingCredential)
      throw conflict(
        `${model.name} (${model.type}) already exists; give a credential to attach it to the model`,
      );
    if (pricing === undefined || pricing === existing.pricing)
      return { row: existing, attached: true, restored: false };
    if (!(await bumpCustomModel(trx, existing, now, undefined, pricing))) throw staleRecord('This model');
    await recordPriceChange(record, existing, pricing);
    return { row: { ...existing, pricing, version: existing.version + 1 }, attached: true, restored: false };
  }
  if (existing) {
    if (!(await bumpCustomModel(trx, existing, now, null, pricing))) throw staleRecord('This model');
    await record({
      kind: 'model',
      action: 'model.restore',
      targetType: 'model',
      targetId: existing.id,
      details: { provider, model, ...(pricing !== undefined ? { pricing: parsePricing(pricing) } : {}) },
    });
    return {
      row: {
        ...existing,
        removed_at: null,
        pricing: pricing === undefined ? existing.pricing : pricing,
        version: existing.version + 1,
      },
      attached: false,
      restored: true,
    };
  }
  const row: CustomModelRow = {
    id: newId('mdl'),
    workspace_id: workspaceId,
    provider,
    model: model.name,
    model_type: model.type,
    source,
    pricing: pricing ?? null,
    removed_at: null,
    created_at: now,
    updated_at: now,
    version: 1,
  };
  await insertCustomModel(trx, row);
  await record({
    kind: 'model',
    action: 'model.add',
    targetType: 'model',
    targetId: row.id,
    details: { provider, model, source, pricing: parsePricing(row.pricing) },
  });
  return { row, attached: false, restored: false };
}

/** Audits (and publishes) a custom model's new price; the resolve caches reload it with the change. */
async function recordPriceChange(
  record: (change: ChangeRecord) => Promise<void>,
  row: CustomModelRow,
  pricing: string | null,
): Promise<void> {
  await record({
    kind: 'model',
    action: 'model.price',
    targetType: 'model',
    targetId: row.id,
    details: {
      provider: row.provider,
      model: { name: row.model, type: row.model_type },
      from: parsePricing(row.pricing),
      to: parsePricing(pricing),
    },
  });
}

/** The active credential of `row`'s scope, making `row` active when the scope has none. */
async function ensureActive(trx: Trx, row: ProviderCredentialRow): Promise<ProviderCredentialRow> {
  const scope = await listScopeCredentials(trx, row.workspace_id, row.provider, row.scope);
  const active = scope.find((credential) => credential.is_active === 1);
  if (active) return active;
  await makeActive(trx, row);
  return { ...row, is_active: 1 };
}

/**
 * Adds a custom model with a new or existing credential. Same name and type as an
 * existing model: the credential is attached to it (`attached: true`). A removed model
 * comes back with the credentials it kept, so no key needs typing again.
 */
export async function addCustomModel(
  core: Core,
  actor: Actor,
  input: AddCustomModelInput,
): Promise<AddCustomModelResult> {
  await authorize(core, actor, input.workspaceId, true);
  const adapter = await installedAdapter(core, core.db, input.workspaceId, input.provider);
  assertCustomizable(adapter, input.model.type);
  const model = { name: input.model.name.trim(), type: input.model.type };
  if (!model.name) throw badRequest('Name the model', { 'model.name': ['Model name is required'] });
  const check = new InputCheck();
  const pricing =
    input.pricing === undefined ? undefined : checkPricing(check, 'pricing', input.pricing, model.type);
  check.done();
  const prepared = input.credential
    ? await prepareModelCredential(core, input.workspaceId, adapter, model, input.credential)
    : undefined;
  return mutate(core, actor, input.workspaceId, async (trx, record) => {
    const kept = await listScopeCredentials(trx, input.workspaceId, input.provider, credentialScope(model));
    const existing = await findCustomModel(trx, input.workspaceId, input.provider, model);
    if (!prepared && !(existing?.removed_at && kept.length > 0)) {
      if (existing && existing.removed_at === null)
        throw conflict(`${model.name} (${model.type}) already exists`);
      throw badRequest('Give the model a credential', { credential: ['A custom model needs a credential'] });
    }
    const { attached, restored } = await upsertCustomModel(
      trx,
      record,
      input.workspaceId,
      input.provider,
      model,
      'custom',
      prepared !== undefined,
      pricing === undefined ? undefined : pricingColumn(pricing),
    );
    let credential: ProviderCredentialRow | null = null;
    if (prepared && 'reuse' in prepared) credential = await ensureActive(trx, prepared.reuse);
    else if (prepared) {
      credential = await insertCredential(core, trx, record, {
        workspaceId: input.workspaceId,
        adapter,
        model,
        name: prepared.name,
        values: prepared.values,
      });
    } else {
      const first = kept[0];
      if (first) credential = await ensureActive(trx, first);
    }
    return {
      provider: input.provider,
      model,
      attached,
      restored,
      credential: credential ? credentialView(credential, undefined, Date.now()) : null,
    };
  });
}

/** Removes a custom model; its credentials stay for a later re-add. Predefined models can only be disabled. */
export async function removeModel(
  core: Core,
  actor: Actor,
  input: { workspaceId: string; provider: string; model: ModelRef; version?: number | undefined },
): Promise<{ removed: true; keptCredentials: number }> {
  await authorize(core, actor, input.workspaceId, true);
  adapterFor(core, input.provider);
  return mutate(core, actor, input.workspaceId, async (trx, record) => {
    const row = await findCustomModel(trx, input.workspaceId, input.provider, input.model);
    if (!row || row.removed_at !== null) {
      const predefined = core.providers
        .get(input.provider as never)
        ?.manifest.models.some((model) => model.id === input.model.name && model.type === input.model.type);
      if (predefined)
        throw badRequest(`${input.model.name} is predefined by the provider; disable it instead`);
      throw notFound(`Model ${input.provider}/${input.model.name} (${input.model.type})`);
    }
    checkVersion('This model', row.version, input.version);
    const now = nowIso();
    if (!(await bumpCustomModel(trx, row, now, now))) throw staleRecord('This model');
    const kept = await listScopeCredentials(
      trx,
      input.workspaceId,
      input.provider,
      credentialScope(input.model),
    );
    await record({
      kind: 'model',
      action: 'model.remove',
      targetType: 'model',
      targetId: row.id,
      details: { provider: input.provider, model: input.model, keptCredentials: kept.length },
    });
    return { removed: true as const, keptCredentials: kept.length };
  });
}

/** Every custom model's credentials for a provider, removed models included, for "Manage credentials". */
export async function manageCredentials(
  core: Core,
  actor: Actor,
  input: { workspaceId: string; provider: string },
): Promise<CustomModelCredentials[]> {
  await authorize(core, actor, input.workspaceId, false);
  adapterFor(core, input.provider);
  const models = await listCustomModels(core.db, input.workspaceId, input.provider);
  const credentials = await listModelCredentials(core.db, input.workspaceId, input.provider);
  const cooldownById = await cooldownsById(core.db, input.workspaceId);
  const now = Date.now();
  const groups = new Map<string, CustomModelCredentials>();
  for (const model of models) {
    groups.set(`${model.model_type}/${model.model}`, {
      model: { name: model.model, type: model.model_type as ModelType },
      source: model.source === 'discovered' ? 'discovered' : 'custom',
      removed: model.removed_at !== null,
      credentials: [],
    });
  }
  for (const row of credentials) {
    let group = groups.get(row.scope);
    if (!group) {
      // Keys whose model row is gone entirely still show, as a removed model.
      group = {
        model: { name: row.model ?? '', type: (row.model_type ?? 'llm') as ModelType },
        source: null,
        removed: true,
        credentials: [],
      };
      groups.set(row.scope, group);
    }
    group.credentials.push(credentialView(row, cooldownById.get(row.id), now));
  }
  return [...groups.values()];
}

/** Values to call a discoverable server with: a stored credential's, or form values. */
async function discoveryValues(
  core: Core,
  workspaceId: string,
  adapter: ProviderAdapter,
  input: { credentialId?: string | undefined; values?: Record<string, unknown> | undefined },
): Promise<{ values: CredentialValues; name: string | undefined }> {
  if (input.credentialId) {
    const row = await getCredential(core.db, workspaceId, input.credentialId);
    if (row.provider !== adapter.manifest.id) throw notFound('Credential');
    return { values: await openValues(core, core.db, row), name: row.name };
  }
  const { manifest } = adapter;
  const form =
    manifest.modelCredentialForm.length > 0 ? manifest.modelCredentialForm : manifest.providerCredentialForm;
  return { values: normalizeValues(form, input.values ?? {}), name: undefined };
}

/** The models a discoverable provider's server has loaded, each marked added or not. */
export async function discoverModels(
  core: Core,
  actor: Actor,
  input: {
    workspaceId: string;
    provider: string;
    credentialId?: string | undefined;
    values?: Record<string, unknown> | undefined;
  },
): Promise<DiscoveredModel[]> {
  await authorize(core, actor, input.workspaceId, true);
  const adapter = await installedAdapter(core, core.db, input.workspaceId, input.provider);
  if (!adapter.discoverModels || !adapter.manifest.configurationMethods.includes('discoverable')) {
    throw badRequest(`${adapter.manifest.label} cannot list the models its server has loaded`);
  }
  const { values } = await discoveryValues(core, input.workspaceId, adapter, input);
  let found: Awaited<ReturnType<NonNullable<ProviderAdapter['discoverModels']>>>;
  try {
    found = await adapter.discoverModels({
      credentials: values,
      signal: AbortSignal.timeout(VALIDATION_TIMEOUT_MS),
    });
  } catch (error) {
    throw providerFieldError(error, adapter);
  }
  const state = await loadState(core, input.workspaceId);
  return found.map((info) => ({
    name: info.id,
    label: info.label ?? info.id,
    type: info.type,
    contextSize: info.contextSize ?? null,
    added: state.modelsByKey.has(modelKey(input.provider, info.type, info.id)),
  }));
}

/** Adds several discovered models in one step, each with its own copy of the credential used to discover them. */
export async function addDiscoveredModels(
  core: Core,
  actor: Actor,
  input: {
    workspaceId: string;
    provider: string;
    credentialId?: string | undefined;
    values?: Record<string, unknown> | undefined;
    models: ModelRef[];
  },
): Promise<{ added: ModelRef[]; skipped: { model: ModelRef; reason: string }[] }> {
  await authorize(core, actor, input.workspaceId, true);
  const adapter = await installedAdapter(core, core.db, input.workspaceId, input.provider);
  if (!adapter.manifest.configurationMethods.includes('discoverable')) {
    throw badRequest(`${adapter.manifest.label} cannot list the models its server has loaded`);
  }
  if (input.models.length === 0)
    throw badRequest('Pick at least one model', { models: ['Pick at least one model'] });
  for (const model of input.models) assertServesType(adapter, model.type);
  const source = await discoveryValues(core, input.workspaceId, adapter, input);
  const form = adapter.manifest.modelCredentialForm;
  const ownCredentials = form.length > 0;
  let values: CredentialValues = {};
  if (ownCredentials) {
    const known = new Set(form.map((field) => field.id));
    values = normalizeValues(
      form,
      Object.fromEntries(Object.entries(source.values).filter(([id]) => known.has(id))),
    );
    const first = input.models[0] as ModelRef;
    await validateWithAdapter(adapter, values, { model: first.name, type: first.type });
  }
  return mutate(core, actor, input.workspaceId, async (trx, record) => {
    const added: ModelRef[] = [];
    const skipped: { model: ModelRef; reason: string }[] = [];
    for (const model of input.models) {
      const existing = await findCustomModel(trx, input.workspaceId, input.provider, model);
      if (existing && existing.removed_at === null) {
        skipped.push({ model, reason: 'already added' });
        continue;
      }
      const kept = ownCredentials
        ? await listScopeCredentials(trx, input.workspaceId, input.provider, credentialScope(model))
        : [];
      await upsertCustomModel(trx, record, input.workspaceId, input.provider, model, 'discovered', true);
      if (ownCredentials && kept.length === 0) {
        await insertCredential(core, trx, record, {
          workspaceId: input.workspaceId,
          adapter,
          model,
          name: source.name,
          values,
        });
      } else if (kept[0]) {
        await ensureActive(trx, kept[0]);
      }
      added.push(model);
    }
    return { added, skipped };
  });
}

/** Enables or disables any model of the workspace; returns the model's new version. */
export async function setModelEnabled(
  core: Core,
  actor: Actor,
  input: {
    workspaceId: string;
    provider: string;
    model: ModelRef;
    enabled: boolean;
    version?: number | undefined;
  },
): Promise<{ enabled: boolean; version: number }> {
  await authorize(core, actor, input.workspaceId, true);
  findModel(await loadState(core, input.workspaceId), input.provider, input.model);
  return mutate(core, actor, input.workspaceId, async (trx, record) => {
    const version = await changeModelSettings(
      trx,
      input.workspaceId,
      input.provider,
      input.model,
      input.version,
      { enabled: input.enabled ? 1 : 0 },
    );
    await record({
      kind: 'model',
      action: input.enabled ? 'model.enable' : 'model.disable',
      targetType: 'model',
      targetId: `${input.provider}/${input.model.name}`,
      details: { provider: input.provider, model: input.model },
    });
    return { enabled: input.enabled, version };
  });
}

/** Input of `updateCustomModel`. */
export interface UpdateCustomModelInput {
  workspaceId: string;
  provider: string;
  model: ModelRef;
  /** The version the caller saw (optional optimistic concurrency). */
  version?: number | undefined;
  /** The new price in USD per million tokens (the catalog's shape); null: no price. */
  pricing: ModelPricingInput;
}

/**
 * Changes a custom model's price (null: no price). Usage, the playground's estimate and API key
 * budgets use it from the next call on; a predefined model keeps the catalog's price.
 */
export async function updateCustomModel(
  core: Core,
  actor: Actor,
  input: UpdateCustomModelInput,
): Promise<{ pricing: ModelPricing | null; version: number }> {
  await authorize(core, actor, input.workspaceId, true);
  adapterFor(core, input.provider);
  const check = new InputCheck();
  const pricing = checkPricing(check, 'pricing', input.pricing, input.model.type);
  check.done();
  const column = pricingColumn(pricing);
  return mutate(core, actor, input.workspaceId, async (trx, record) => {
    const row = await findCustomModel(trx, input.workspaceId, input.provider, input.model);
    if (!row || row.removed_at !== null) {
      const predefined = core.providers
        .get(input.provider as never)
        ?.manifest.models.some((model) => model.id === input.model.name && model.type === input.model.type);
      if (predefined)
        throw badRequest(`${input.model.name} is predefined by the provider; it has the catalog's price`);
      throw notFound(`Model ${input.provider}/${input.model.name} (${input.model.type})`);
    }
    checkVersion('This model', row.version, input.version);
    if (column === row.pricing) return { pricing, version: row.version };
    if (!(await bumpCustomModel(trx, row, nowIso(), undefined, column))) throw staleRecord('This model');
    await recordPriceChange(record, row, column);
    return { pricing, version: row.version + 1 };
  });
}
