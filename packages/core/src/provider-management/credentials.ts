import type { CredentialValues, FormField, ProviderAdapter } from '@switchboard/provider-spec';
import type { Actor } from '../access.ts';
import type { Core } from '../core.ts';
import type { ProviderCredentialRow, Trx } from '../db/schema.ts';
import { badRequest, CoreError, fieldError, notFound } from '../errors.ts';
import { newId, nowIso } from '../ids.ts';
import { adapterFor, assertCustomizable, credentialForm, installedAdapter } from './adapters.ts';
import { authorize } from '../service/authorize.ts';
import { type ChangeRecord, mutate } from '../service/mutate.ts';
import {
  cooldownsById,
  credentialNameTaken,
  credentialScope,
  deleteCooldown,
  deleteCredentialRow,
  getCredential,
  insertCredentialRow,
  listScopeCredentials,
  makeActive,
  setCredentialStatusRow,
  updateCredentialRow,
} from './credential-repository.ts';
import { isDestinationField, normalizeValues } from './form-values.ts';
import {
  bumpCustomModel,
  deleteCustomModel,
  findCustomModel,
  listSettingsUsingCredential,
  updateModelSetting,
} from './model-repository.ts';
import { validateWithAdapter } from './provider-validation.ts';
import { checkVersion, staleRecord } from './repository.ts';
import { openValues, sealValues, type StoredValues } from './sealed-values.ts';
import { credentialView, parseLoadBalancing, parseObject } from './state.ts';
import type { CredentialView, ModelRef } from './types.ts';

/** Whose credential: a provider's (no model) or one custom model's. */
export interface CredentialOwner {
  workspaceId: string;
  provider: string;
  /** The custom model, for a model credential; absent for a provider credential. */
  model?: ModelRef | null | undefined;
}

/** Input of `createCredential`. */
export interface CreateCredentialInput extends CredentialOwner {
  /** Unique per provider (or per model); `API key N` when absent. */
  name?: string | undefined;
  values: Record<string, unknown>;
}

/** Input of `updateCredential`: values absent keep theirs; a secret sent back as its mask keeps the stored one. */
export interface UpdateCredentialInput {
  workspaceId: string;
  credentialId: string;
  /** The version the client saw: CONFLICT when the credential changed since (optional, as everywhere). */
  version?: number | undefined;
  name?: string | undefined;
  values?: Record<string, unknown> | undefined;
}

/** Input of `validateCredential`: a form to check, optionally an existing credential whose masked secrets it reuses. */
export interface ValidateCredentialInput extends CredentialOwner {
  values: Record<string, unknown>;
  credentialId?: string | undefined;
}

/** The credentials of a provider, or of one of its custom models; secrets masked. */
export async function listCredentials(
  core: Core,
  actor: Actor,
  input: CredentialOwner,
): Promise<CredentialView[]> {
  await authorize(core, actor, input.workspaceId, false);
  adapterFor(core, input.provider);
  const rows = await listScopeCredentials(
    core.db,
    input.workspaceId,
    input.provider,
    credentialScope(input.model),
  );
  const byId = await cooldownsById(core.db, input.workspaceId);
  const now = Date.now();
  return rows.map((row) => credentialView(row, byId.get(row.id), now));
}

/**
 * Merges a form sent back for an existing credential: masked secrets keep the stored
 * value, except when a field deciding where the secret goes changed.
 */
async function mergeWithStored(
  core: Core,
  form: FormField[],
  row: ProviderCredentialRow,
  input: Record<string, unknown>,
): Promise<{ values: Record<string, unknown>; changed: boolean }> {
  const plain = parseObject(row.plain_values);
  const masked = parseObject(row.masked_values);
  const stored = await openValues(core, core.db, row);
  const merged: Record<string, unknown> = {};
  const keptSecrets: string[] = [];
  let changed = false;
  for (const key of Object.keys(input)) {
    if (!form.some((field) => field.id === key)) merged[key] = input[key];
  }
  for (const field of form) {
    const present = Object.hasOwn(input, field.id);
    const incoming = input[field.id];
    if (field.type === 'secret') {
      if (!present || (stored[field.id] !== undefined && incoming === masked[field.id])) {
        merged[field.id] = stored[field.id];
        if (stored[field.id] !== undefined) keptSecrets.push(field.id);
      } else {
        merged[field.id] = incoming;
        changed = true;
      }
    } else if (present) {
      merged[field.id] = incoming;
      const before = plain[field.id];
      const empty = (value: unknown) => value === undefined || value === null || value === '';
      if (!(empty(before) && empty(incoming)) && String(before ?? '') !== String(incoming ?? ''))
        changed = true;
    } else {
      merged[field.id] = plain[field.id];
    }
  }
  const destinationChanged = form.some(
    (field) =>
      field.type !== 'secret' &&
      isDestinationField(field.id) &&
      Object.hasOwn(input, field.id) &&
      String(plain[field.id] ?? '').trim() !== String(input[field.id] ?? '').trim(),
  );
  if (destinationChanged && keptSecrets.length > 0) {
    const errors = Object.fromEntries(
      keptSecrets.map((id) => [
        id,
        ['The endpoint changed: type this secret again, it is only sent where it was saved for'],
      ]),
    );
    throw badRequest('The endpoint changed: type the secret again', errors);
  }
  return { values: merged, changed };
}

/** Checks a credential form with a real call to the provider, saving nothing. */
export async function validateCredential(
  core: Core,
  actor: Actor,
  input: ValidateCredentialInput,
): Promise<{ valid: true; models: string[] }> {
  await authorize(core, actor, input.workspaceId, true);
  const adapter = adapterFor(core, input.provider);
  const model = input.model ?? null;
  if (model) assertCustomizable(adapter, model.type);
  const form = credentialForm(adapter, model !== null);
  let raw = input.values;
  if (input.credentialId) {
    const row = await getCredential(core.db, input.workspaceId, input.credentialId);
    if (row.provider !== input.provider) throw notFound('Credential');
    raw = (await mergeWithStored(core, form, row, input.values)).values;
  }
  const values = normalizeValues(form, raw);
  const result = await validateWithAdapter(
    adapter,
    values,
    model ? { model: model.name, type: model.type } : undefined,
  );
  return { valid: true, models: (result.models ?? []).map((info) => info.id) };
}

/** Inserts a validated credential into its scope (first of its scope becomes active). Used by models too. */
export async function insertCredential(
  core: Core,
  trx: Trx,
  record: (change: ChangeRecord) => Promise<void>,
  options: {
    workspaceId: string;
    adapter: ProviderAdapter;
    model: ModelRef | null;
    name: string | undefined;
    values: CredentialValues;
  },
): Promise<ProviderCredentialRow> {
  const { workspaceId, adapter, model } = options;
  const provider = adapter.manifest.id;
  const scope = credentialScope(model);
  const existing = await listScopeCredentials(trx, workspaceId, provider, scope);
  const name = options.name?.trim() || nextCredentialName(existing.map((row) => row.name));
  if (existing.some((row) => row.name === name)) {
    throw fieldError(
      'name',
      `A credential named "${name}" already exists${model ? ` for ${model.name}` : ` for ${adapter.manifest.label}`}`,
    );
  }
  const id = newId('crd');
  const now = nowIso();
  const form = credentialForm(adapter, model !== null);
  const stored = await sealValues(core, trx, workspaceId, id, form, options.values);
  const row: ProviderCredentialRow = {
    id,
    workspace_id: workspaceId,
    provider,
    scope,
    model: model?.name ?? null,
    model_type: model?.type ?? null,
    name,
    ...stored,
    is_active: existing.some((credential) => credential.is_active === 1) ? 0 : 1,
    status: 'valid',
    status_reason: null,
    validated_at: now,
    last_valid_at: now,
    created_at: now,
    updated_at: now,
    version: 1,
  };
  await insertCredentialRow(trx, row);
  await record({
    kind: 'credential',
    action: 'credential.create',
    targetType: 'credential',
    targetId: id,
    details: { provider, model: model ?? null, name, active: row.is_active === 1 },
  });
  return row;
}

/** Adds a credential to a provider or to an existing custom model, after a real validation call. */
export async function createCredential(
  core: Core,
  actor: Actor,
  input: CreateCredentialInput,
): Promise<CredentialView> {
  await authorize(core, actor, input.workspaceId, true);
  const adapter = await installedAdapter(core, core.db, input.workspaceId, input.provider);
  const model = input.model ?? null;
  if (model) {
    assertCustomizable(adapter, model.type);
    const row = await findCustomModel(core.db, input.workspaceId, input.provider, model);
    if (!row || row.removed_at !== null) throw notFound(`Custom model ${model.name} (${model.type})`);
  }
  const form = credentialForm(adapter, model !== null);
  const values = normalizeValues(form, input.values);
  await validateWithAdapter(adapter, values, model ? { model: model.name, type: model.type } : undefined);
  const row = await mutate(core, actor, input.workspaceId, (trx, record) =>
    insertCredential(core, trx, record, {
      workspaceId: input.workspaceId,
      adapter,
      model,
      name: input.name,
      values,
    }),
  );
  return credentialView(row, undefined, Date.now());
}

/** Renames a credential or changes its values (validated again when they change). */
export async function updateCredential(
  core: Core,
  actor: Actor,
  input: UpdateCredentialInput,
): Promise<CredentialView> {
  await authorize(core, actor, input.workspaceId, true);
  const row = await getCredential(core.db, input.workspaceId, input.credentialId);
  checkVersion('This credential', row.version, input.version);
  const adapter = adapterFor(core, row.provider);
  const model: ModelRef | null =
    row.model !== null && row.model_type !== null
      ? { name: row.model, type: row.model_type as ModelRef['type'] }
      : null;
  const form = credentialForm(adapter, model !== null);
  let stored: StoredValues | undefined;
  let values: CredentialValues | undefined;
  if (input.values) {
    const merged = await mergeWithStored(core, form, row, input.values);
    if (merged.changed) {
      values = normalizeValues(form, merged.values);
      await validateWithAdapter(adapter, values, model ? { model: model.name, type: model.type } : undefined);
    } else {
      normalizeValues(form, merged.values);
    }
  }
  const name = input.name?.trim();
  const updated = await mutate(core, actor, input.workspaceId, async (trx, record) => {
    if (name && name !== row.name && (await credentialNameTaken(trx, row, name)))
      throw fieldError('name', `A credential named "${name}" already exists`);
    if (values) stored = await sealValues(core, trx, row.workspace_id, row.id, form, values);
    const now = nowIso();
    const changed = await updateCredentialRow(trx, row, {
      ...(name ? { name } : {}),
      ...(stored
        ? { ...stored, status: 'valid', status_reason: null, validated_at: now, last_valid_at: now }
        : {}),
      updated_at: now,
    });
    if (!changed) throw staleRecord('This credential');
    // A changed key gets a fresh start at the gateway.
    if (stored) await deleteCooldown(trx, row.id);
    await record({
      kind: 'credential',
      action: 'credential.update',
      targetType: 'credential',
      targetId: row.id,
      details: {
        provider: row.provider,
        model,
        ...(name && name !== row.name ? { name: { from: row.name, to: name } } : {}),
        ...(stored ? { fields: Object.keys(values ?? {}) } : {}),
      },
    });
    return getCredential(trx, row.workspace_id, row.id);
  });
  return credentialView(updated, undefined, Date.now());
}

/** Makes a credential the active one of its provider or model. */
export async function activateCredential(
  core: Core,
  actor: Actor,
  input: { workspaceId: string; credentialId: string; version?: number | undefined },
): Promise<CredentialView> {
  await authorize(core, actor, input.workspaceId, true);
  const updated = await mutate(core, actor, input.workspaceId, async (trx, record) => {
    const row = await getCredential(trx, input.workspaceId, input.credentialId);
    checkVersion('This credential', row.version, input.version);
    const previous = await makeActive(trx, row);
    await record({
      kind: 'credential',
      action: 'credential.activate',
      targetType: 'credential',
      targetId: row.id,
      details: {
        provider: row.provider,
        model: row.model,
        name: row.name,
        previous,
      },
    });
    return getCredential(trx, row.workspace_id, row.id);
  });
  return credentialView(updated, undefined, Date.now());
}

/**
 * Removes a credential. Removing the active one activates the oldest other one (or none);
 * removing a custom model's only credential removes the model too.
 */
export async function removeCredential(
  core: Core,
  actor: Actor,
  input: { workspaceId: string; credentialId: string; version?: number | undefined },
): Promise<{ removed: true; activatedCredentialId: string | null; modelRemoved: boolean }> {
  await authorize(core, actor, input.workspaceId, true);
  return mutate(core, actor, input.workspaceId, async (trx, record) => {
    const row = await getCredential(trx, input.workspaceId, input.credentialId);
    checkVersion('This credential', row.version, input.version);
    if (!(await deleteCredentialRow(trx, row))) throw staleRecord('This credential');
    const rest = await listScopeCredentials(trx, row.workspace_id, row.provider, row.scope);
    let activatedCredentialId: string | null = null;
    const next = rest[0];
    // Whatever `row` said when read: an activation of it may have committed since, so the scope
    // is checked as it is now, and keeps one active key while it has any.
    if (next && !rest.some((other) => other.is_active === 1)) {
      await makeActive(trx, next);
      activatedCredentialId = next.id;
    }
    await dropFromLoadBalancing(trx, row);
    await record({
      kind: 'credential',
      action: 'credential.remove',
      targetType: 'credential',
      targetId: row.id,
      details: { provider: row.provider, model: row.model, name: row.name, activated: activatedCredentialId },
    });
    let modelRemoved = false;
    if (row.model !== null && row.model_type !== null && rest.length === 0) {
      const model = await findCustomModel(trx, row.workspace_id, row.provider, {
        name: row.model,
        type: row.model_type,
      });
      if (model) {
        // With no key left there is nothing to keep for a re-add: the model goes entirely.
        await deleteCustomModel(trx, model);
        modelRemoved = model.removed_at === null;
        await record({
          kind: 'model',
          action: 'model.remove',
          targetType: 'model',
          targetId: model.id,
          details: {
            provider: row.provider,
            model: row.model,
            type: row.model_type,
            reason: 'its only credential was removed',
          },
        });
      }
    }
    return { removed: true as const, activatedCredentialId, modelRemoved };
  });
}

/** Takes a removed credential out of the load balancing of the models that used it (a change of each model). */
async function dropFromLoadBalancing(trx: Trx, row: ProviderCredentialRow): Promise<void> {
  const settings = await listSettingsUsingCredential(trx, row.workspace_id, row.provider, row.id);
  const now = nowIso();
  for (const setting of settings) {
    const entries = parseLoadBalancing(setting.load_balancing).filter(
      (entry) => entry.credentialId !== row.id,
    );
    if (
      !(await updateModelSetting(
        trx,
        setting,
        {
          load_balancing: JSON.stringify(entries),
          ...(entries.length < 2 ? { load_balancing_enabled: 0 } : {}),
        },
        now,
      ))
    )
      throw staleRecord("A model's load balancing");
    // A custom model's version is its own record's: the change moves it too.
    const model = await findCustomModel(trx, row.workspace_id, row.provider, {
      name: setting.model,
      type: setting.model_type,
    });
    if (model && !(await bumpCustomModel(trx, model, now))) throw staleRecord('This model');
  }
}

/**
 * Records the outcome of a real call made with a stored credential (the gateway on a 401,
 * or `revalidateCredential`): `invalid` puts its models in `credential-invalid` with the reason.
 */
export async function setCredentialStatus(
  core: Core,
  actor: Actor,
  input: { workspaceId: string; credentialId: string; valid: boolean; reason?: string | undefined },
): Promise<CredentialView> {
  const updated = await mutate(core, actor, input.workspaceId, async (trx, record) => {
    const row = await getCredential(trx, input.workspaceId, input.credentialId);
    const now = nowIso();
    await setCredentialStatusRow(trx, row.id, {
      status: input.valid ? 'valid' : 'invalid',
      status_reason: input.valid ? null : (input.reason ?? 'The provider rejected this credential'),
      validated_at: now,
      // A failure keeps the last success: the health page shows when a failing key last worked.
      ...(input.valid ? { last_valid_at: now } : {}),
    });
    if (input.valid) await deleteCooldown(trx, row.id);
    await record({
      kind: 'credential',
      action: input.valid ? 'credential.valid' : 'credential.invalid',
      targetType: 'credential',
      targetId: row.id,
      details: {
        provider: row.provider,
        model: row.model,
        name: row.name,
        ...(input.reason ? { reason: input.reason } : {}),
      },
    });
    return getCredential(trx, row.workspace_id, row.id);
  });
  return credentialView(updated, undefined, Date.now());
}

/** Proves a stored credential again with a real call and records the result (owner or admin). */
export async function revalidateCredential(
  core: Core,
  actor: Actor,
  input: { workspaceId: string; credentialId: string },
): Promise<CredentialView> {
  await authorize(core, actor, input.workspaceId, true);
  const row = await getCredential(core.db, input.workspaceId, input.credentialId);
  const adapter = adapterFor(core, row.provider);
  const model: ModelRef | null =
    row.model !== null && row.model_type !== null
      ? { name: row.model, type: row.model_type as ModelRef['type'] }
      : null;
  try {
    await validateWithAdapter(
      adapter,
      await openValues(core, core.db, row),
      model ? { model: model.name, type: model.type } : undefined,
    );
  } catch (error) {
    if (!(error instanceof CoreError) || error.code !== 'BAD_REQUEST') throw error;
    const reason = Object.values(error.fieldErrors ?? {})[0]?.[0] ?? error.message;
    return setCredentialStatus(core, actor, { ...input, valid: false, reason });
  }
  return setCredentialStatus(core, actor, { ...input, valid: true });
}

/** Picks the next free `API key N` name among existing names. */
function nextCredentialName(existing: Iterable<string>): string {
  const taken = new Set(existing);
  for (let index = 1; ; index++) {
    const name = `API key ${index}`;
    if (!taken.has(name)) return name;
  }
}
