import type { CredentialValues, FormField, ModelPricing, ProviderAdapter } from '@switchboard/provider-spec';
import type { Actor } from '../access.ts';
import type { Core } from '../core.ts';
import type { ProviderCredentialRow } from '../db/schema.ts';
import { CoreError } from '../errors.ts';
import { loadState } from '../provider-management/catalog.ts';
import { normalizeValues } from '../provider-management/form-values.ts';
import { openValues } from '../provider-management/sealed-values.ts';
import {
  activateCredential,
  createCredential,
  removeCredential,
  updateCredential,
  validateCredential,
} from '../provider-management/credentials.ts';
import { clearDefaultModel, setDefaultModel } from '../provider-management/defaults.ts';
import {
  addCustomModel,
  removeModel,
  setModelEnabled,
  updateCustomModel,
} from '../provider-management/models.ts';
import { checkPricing, parsePricing, samePricing } from '../provider-management/model-pricing.ts';
import { InputCheck } from '../service/input.ts';
import { uninstallProvider, installProvider } from '../provider-management/catalog.ts';
import { credentialScope, listScopeCredentials } from '../provider-management/credential-repository.ts';
import {
  isEnabled,
  modelKey,
  scopeCredentials,
  type WorkspaceProviderState,
} from '../provider-management/state.ts';
import { assertCustomizable, assertServesType } from '../provider-management/adapters.ts';
import { DEFAULT_MODEL_TYPES, type ModelRef } from '../provider-management/types.ts';
import { planApiKeys } from './api-keys.ts';
import type { ConfigCredential, ConfigFile, ConfigModel, ConfigProblem } from './schema.ts';

/** What applying a file changes, one line each; never a secret. */
export interface Change {
  action:
    | 'install-provider'
    | 'uninstall-provider'
    | 'create-credential'
    | 'update-credential'
    | 'activate-credential'
    | 'remove-credential'
    | 'add-model'
    | 'restore-model'
    | 'remove-model'
    | 'enable-model'
    | 'disable-model'
    | 'price-model'
    | 'set-default'
    | 'clear-default'
    | 'update-api-key'
    | 'set-api-key-policy';
  /** Where in the file the change comes from (`providers.openai.credentials[0]`). */
  path: string;
  /** One line for people: `create credential "main" of openai`. */
  description: string;
}

/** Environment variables that `{ env: NAME }` references are read from. */
export type ConfigEnvironment = Readonly<Record<string, string | undefined>>;

/** One change and how to make it; `validate` proves new credential values without saving anything. */
export interface PlannedStep {
  change: Change;
  /** Path of the credential whose values are checked, for problems the provider reports. */
  valuesPath?: string;
  /** Field ids of that credential's form. */
  fields?: ReadonlySet<string>;
  validate?: (actor: Actor) => Promise<void>;
  run: (actor: Actor) => Promise<void>;
}

/** A plan: the workspace it is for and its steps in order; or the problems that stop it. */
export interface Plan {
  workspaceId: string;
  steps: PlannedStep[];
}

interface DesiredCredential {
  name: string;
  values: CredentialValues;
  active: boolean;
  path: string;
}

interface Planner {
  core: Core;
  workspaceId: string;
  state: WorkspaceProviderState;
  env: ConfigEnvironment;
  problems: ConfigProblem[];
  steps: PlannedStep[];
}

const blank = (value: unknown): string =>
  value === undefined || value === null || value === '' ? '' : String(value);

/** Whether stored values already match the file's, field by field, over the form. */
function sameValues(form: FormField[], desired: CredentialValues, stored: CredentialValues): boolean {
  return form.every((field) => blank(desired[field.id]) === blank(stored[field.id]));
}

/** Every form field, so fields the file leaves out are cleared rather than kept. */
function fullValues(form: FormField[], values: CredentialValues): Record<string, unknown> {
  return Object.fromEntries(form.map((field) => [field.id, values[field.id] ?? '']));
}

/**
 * Turns a core error into problems at the file's paths. Field errors keyed by a form
 * field (`api_key`, or `values.api_key`) point into the entry's `values`; `fields` is
 * the form's field ids, or 'all' when every key is a value (form checks).
 */
export function problemsOf(
  error: unknown,
  path: string,
  fields: ReadonlySet<string> | 'all' = new Set(),
): ConfigProblem[] {
  if (error instanceof CoreError && error.fieldErrors && Object.keys(error.fieldErrors).length > 0) {
    return Object.entries(error.fieldErrors).flatMap(([key, messages]) => {
      const field = key.startsWith('values.') ? key.slice('values.'.length) : key;
      const isValue = key.startsWith('values.') || fields === 'all' || fields.has(field);
      const at = isValue ? `${path}.values.${field}` : key === 'name' ? `${path}.name` : path;
      return messages.map((message) => ({ path: at, message }));
    });
  }
  if (error instanceof CoreError) return [{ path, message: error.message }];
  throw error;
}

const fieldIds = (form: FormField[]): ReadonlySet<string> => new Set(form.map((field) => field.id));

/**
 * Form values of a credential entry with `{ env: NAME }` read from the environment.
 * Secret fields must be environment references. With `onlyForm`, fields the form does
 * not have are dropped (a provider entry reused for a model whose form is smaller).
 */
function resolveValues(
  planner: Planner,
  form: FormField[],
  entry: ConfigCredential,
  path: string,
  onlyForm: boolean,
): CredentialValues | null {
  const raw: Record<string, unknown> = {};
  let ok = true;
  for (const [id, value] of Object.entries(entry.values)) {
    const field = form.find((candidate) => candidate.id === id);
    if (!field && onlyForm) continue;
    if (typeof value === 'object') {
      const text = planner.env[value.env];
      if (text === undefined || text === '') {
        planner.problems.push({
          path: `${path}.values.${id}`,
          message: `environment variable ${value.env} is not set`,
        });
        ok = false;
      } else {
        raw[id] = text;
      }
    } else if (field?.type === 'secret') {
      planner.problems.push({
        path: `${path}.values.${id}`,
        message: 'a secret is never written in the file; name an environment variable: { env: NAME }',
      });
      ok = false;
    } else {
      raw[id] = value;
    }
  }
  if (!ok) return null;
  try {
    return normalizeValues(form, raw);
  } catch (error) {
    planner.problems.push(...problemsOf(error, path, 'all'));
    return null;
  }
}

const describeScope = (provider: string, model: ModelRef | null) =>
  model ? `${provider}/${model.name} (${model.type})` : provider;

/** The row of a scope with a name, read when the step runs (earlier steps may have made it). */
async function findByName(
  core: Core,
  workspaceId: string,
  provider: string,
  model: ModelRef | null,
  name: string,
) {
  const rows = await listScopeCredentials(core.db, workspaceId, provider, credentialScope(model));
  return rows.find((row) => row.name === name);
}

/**
 * Matches one credential scope (a provider's, or a custom model's) to the file: creates,
 * updates (only when values differ), activates, and removes credentials the file leaves out.
 * `createdElsewhere` names a credential another step creates (adding a model with it).
 */
async function planCredentialScope(
  planner: Planner,
  options: {
    provider: string;
    model: ModelRef | null;
    form: FormField[];
    desired: DesiredCredential[];
    current: ProviderCredentialRow[];
    path: string;
    createdElsewhere?: string;
  },
): Promise<void> {
  const { core, workspaceId } = planner;
  const { provider, model, form, desired, current } = options;
  const where = describeScope(provider, model);
  const created: string[] = options.createdElsewhere ? [options.createdElsewhere] : [];
  for (const credential of desired) {
    if (credential.name === options.createdElsewhere) continue;
    const row = current.find((candidate) => candidate.name === credential.name);
    if (!row) {
      created.push(credential.name);
      planner.steps.push({
        change: {
          action: 'create-credential',
          path: credential.path,
          description: `create credential "${credential.name}" of ${where}`,
        },
        valuesPath: credential.path,
        fields: fieldIds(form),
        validate: async (actor) => {
          await validateCredential(core, actor, { workspaceId, provider, model, values: credential.values });
        },
        run: async (actor) => {
          await createCredential(core, actor, {
            workspaceId,
            provider,
            model,
            name: credential.name,
            values: credential.values,
          });
        },
      });
      continue;
    }
    const stored = await openValues(core, core.db, row);
    if (sameValues(form, credential.values, stored)) continue;
    const fields = form
      .filter((field) => blank(credential.values[field.id]) !== blank(stored[field.id]))
      .map((field) => field.id);
    const values = fullValues(form, credential.values);
    planner.steps.push({
      change: {
        action: 'update-credential',
        path: credential.path,
        description: `update credential "${credential.name}" of ${where} (${fields.join(', ')})`,
      },
      valuesPath: credential.path,
      fields: fieldIds(form),
      validate: async (actor) => {
        await validateCredential(core, actor, { workspaceId, provider, model, values, credentialId: row.id });
      },
      run: async (actor) => {
        const fresh = await findByName(core, workspaceId, provider, model, credential.name);
        if (!fresh)
          throw new CoreError(
            'CONFLICT',
            `credential "${credential.name}" of ${where} disappeared while applying`,
          );
        await updateCredential(core, actor, {
          workspaceId,
          credentialId: fresh.id,
          version: fresh.version,
          values,
        });
      },
    });
  }

  const currentActive = current.find((row) => row.is_active === 1);
  const kept = new Set(desired.map((credential) => credential.name));
  const target =
    desired.find((credential) => credential.active) ??
    (currentActive && kept.has(currentActive.name)
      ? desired.find((credential) => credential.name === currentActive.name)
      : undefined) ??
    desired[0];
  if (target) {
    // A new credential becomes active by itself only when it is the first in a scope with none active.
    const activeByItself =
      !current.some((row) => row.name === target.name) && !currentActive && created[0] === target.name;
    const alreadyActive = currentActive?.name === target.name;
    if (!activeByItself && !alreadyActive) {
      planner.steps.push({
        change: {
          action: 'activate-credential',
          path: target.path,
          description: `activate credential "${target.name}" of ${where}`,
        },
        run: async (actor) => {
          const row = await findByName(core, workspaceId, provider, model, target.name);
          if (row && row.is_active !== 1)
            await activateCredential(core, actor, { workspaceId, credentialId: row.id });
        },
      });
    }
  }

  for (const row of current) {
    if (kept.has(row.name)) continue;
    planner.steps.push({
      change: {
        action: 'remove-credential',
        path: options.path,
        description: `remove credential "${row.name}" of ${where}`,
      },
      run: async (actor) => {
        await removeCredential(core, actor, { workspaceId, credentialId: row.id });
      },
    });
  }
}

/** Credentials a model entry asks for: the referenced provider entry, and its own list. */
function desiredModelCredentials(
  planner: Planner,
  adapter: ProviderAdapter,
  providerEntries: ConfigCredential[],
  providerPath: string,
  model: ConfigModel,
  path: string,
): DesiredCredential[] | null {
  const form = adapter.manifest.modelCredentialForm;
  const desired: DesiredCredential[] = [];
  let ok = true;
  const ownActive = model.credentials?.some((credential) => credential.active) ?? false;
  if (model.credential !== undefined) {
    const index = providerEntries.findIndex((entry) => entry.name === model.credential);
    const entry = providerEntries[index];
    if (entry) {
      const entryPath = `${providerPath}.credentials[${index}]`;
      const values = resolveValues(planner, form, entry, entryPath, true);
      if (values) desired.push({ name: entry.name, values, active: !ownActive, path: entryPath });
      else ok = false;
    }
  }
  model.credentials?.forEach((entry, index) => {
    const entryPath = `${path}.credentials[${index}]`;
    const values = resolveValues(planner, form, entry, entryPath, false);
    if (values) desired.push({ name: entry.name, values, active: entry.active ?? false, path: entryPath });
    else ok = false;
  });
  return ok ? desired : null;
}

/** A provider entry of the file: its credentials and its models. */
type ProviderEntry = { credentials?: ConfigCredential[] | undefined; models?: ConfigModel[] | undefined };

/** Runs one of the services' own checks, turning its refusal into a problem of the file at `path`. */
function passes(planner: Planner, path: string, check: () => void): boolean {
  try {
    check();
    return true;
  } catch (error) {
    planner.problems.push(...problemsOf(error, path));
    return false;
  }
}

/**
 * Plans a custom model (or a predefined one given its own credentials): adding it with its
 * first credential, restoring it with the ones it kept, then matching its credentials.
 */
async function planCustomModel(
  planner: Planner,
  adapter: ProviderAdapter,
  entry: ProviderEntry,
  model: ConfigModel,
  paths: { provider: string; model: string },
): Promise<void> {
  const { core, workspaceId, state } = planner;
  const { manifest } = adapter;
  const provider = manifest.id;
  const ref: ModelRef = { name: model.name, type: model.type };
  const path = paths.model;
  const hasModelForm = manifest.modelCredentialForm.length > 0;
  let desired: DesiredCredential[] = [];
  if (hasModelForm) {
    const resolved = desiredModelCredentials(
      planner,
      adapter,
      entry.credentials ?? [],
      paths.provider,
      model,
      path,
    );
    if (!resolved) return;
    desired = resolved;
  }
  const existing = state.rows.customModels.find(
    (row) => row.provider === provider && row.model === ref.name && row.model_type === ref.type,
  );
  const kept = hasModelForm ? scopeCredentials(state, provider, credentialScope(ref)) : [];
  const describe = describeScope(provider, ref);
  let createdElsewhere: string | undefined;
  if (existing?.removed_at !== null) {
    const restorable =
      existing !== undefined &&
      (!hasModelForm || kept.some((row) => desired.some((credential) => credential.name === row.name)));
    const first = desired.find((credential) => credential.active) ?? desired[0];
    if (restorable) {
      planner.steps.push({
        change: {
          action: 'restore-model',
          path,
          description: `re-add model ${describe} with the credentials it kept`,
        },
        run: async (actor) => {
          await addCustomModel(core, actor, { workspaceId, provider, model: ref });
        },
      });
    } else if (first) {
      createdElsewhere = first.name;
      planner.steps.push({
        change: {
          action: 'add-model',
          path,
          description: `add model ${describe} with credential "${first.name}"`,
        },
        valuesPath: first.path,
        fields: fieldIds(manifest.modelCredentialForm),
        validate: async (actor) => {
          await validateCredential(core, actor, { workspaceId, provider, model: ref, values: first.values });
        },
        run: async (actor) => {
          await addCustomModel(core, actor, {
            workspaceId,
            provider,
            model: ref,
            credential: { name: first.name, values: first.values },
          });
        },
      });
    } else {
      // No model form: the model is served by the provider's credential the entry names, or the active one.
      const reference = model.credential;
      planner.steps.push({
        change: { action: 'add-model', path, description: `add model ${describe}` },
        run: async (actor) => {
          const rows = await listScopeCredentials(core.db, workspaceId, provider, '');
          const row =
            rows.find((candidate) => candidate.name === reference) ??
            rows.find((candidate) => candidate.is_active === 1);
          if (!row)
            throw new CoreError('PRECONDITION_FAILED', `${manifest.label} has no credential for ${describe}`);
          await addCustomModel(core, actor, {
            workspaceId,
            provider,
            model: ref,
            credential: { credentialId: row.id },
          });
        },
      });
    }
  }
  if (hasModelForm) {
    await planCredentialScope(planner, {
      provider,
      model: ref,
      form: manifest.modelCredentialForm,
      desired,
      current: kept,
      path,
      ...(createdElsewhere ? { createdElsewhere } : {}),
    });
  }
}

/** Plans enabling or disabling a model when the file's wish differs from the workspace. */
function planModelEnabled(
  planner: Planner,
  provider: string,
  ref: ModelRef,
  enabled: boolean,
  path: string,
): void {
  const { core, workspaceId, state } = planner;
  const current = state.modelsByKey.get(modelKey(provider, ref.type, ref.name));
  if (enabled === (current ? isEnabled(current) : true)) return;
  planner.steps.push({
    change: {
      action: enabled ? 'enable-model' : 'disable-model',
      path,
      description: `${enabled ? 'enable' : 'disable'} model ${describeScope(provider, ref)}`,
    },
    run: async (actor) => {
      await setModelEnabled(core, actor, { workspaceId, provider, model: ref, enabled });
    },
  });
}

/** `$0.15 in / $0.6 out per million tokens`, or `no price`. */
function describePricing(pricing: ModelPricing | null): string {
  if (pricing === null) return 'no price';
  const output = pricing.outputPerMillion === undefined ? '' : ` / $${pricing.outputPerMillion} out`;
  return `$${pricing.inputPerMillion} in${output} per million tokens`;
}

/**
 * Plans a custom model's price when the file's differs from the stored one (a model being added
 * has none yet; a restored one keeps its own). Left out in the file means no price, as with every
 * field of a listed model.
 */
function planModelPricing(
  planner: Planner,
  provider: string,
  ref: ModelRef,
  given: ConfigModel['pricing'],
  path: string,
): void {
  const { core, workspaceId, state } = planner;
  const check = new InputCheck();
  const desired = checkPricing(check, 'pricing', given ?? null, ref.type);
  try {
    check.done();
  } catch (error) {
    // Field errors are keyed `pricing.inputPerMillion`: under the model's path they point into the file.
    for (const [field, messages] of Object.entries((error as CoreError).fieldErrors ?? {}))
      for (const message of messages) planner.problems.push({ path: `${path}.${field}`, message });
    return;
  }
  const row = state.rows.customModels.find(
    (candidate) =>
      candidate.provider === provider && candidate.model === ref.name && candidate.model_type === ref.type,
  );
  if (samePricing(desired, row ? parsePricing(row.pricing) : null)) return;
  planner.steps.push({
    change: {
      action: 'price-model',
      path: `${path}.pricing`,
      description: `set the price of model ${describeScope(provider, ref)} to ${describePricing(desired)}`,
    },
    run: async (actor) => {
      await updateCustomModel(core, actor, { workspaceId, provider, model: ref, pricing: desired });
    },
  });
}

/** The models list is matched exactly: custom models it leaves out are removed, predefined ones enabled again. */
function planLeftOutModels(planner: Planner, provider: string, listed: Set<string>, path: string): void {
  const { core, workspaceId, state } = planner;
  for (const model of state.models) {
    if (model.provider !== provider || listed.has(modelKey(provider, model.type, model.name))) continue;
    const ref: ModelRef = { name: model.name, type: model.type };
    if (model.customModel) {
      planner.steps.push({
        change: {
          action: 'remove-model',
          path,
          description: `remove model ${describeScope(provider, ref)}; its credentials are kept`,
        },
        run: async (actor) => {
          await removeModel(core, actor, { workspaceId, provider, model: ref });
        },
      });
    } else {
      planModelEnabled(planner, provider, ref, true, path);
    }
  }
}

/** Plans a provider entry's models: each listed one, then those the list leaves out. */
async function planModels(
  planner: Planner,
  adapter: ProviderAdapter,
  entry: ProviderEntry,
  providerPath: string,
): Promise<void> {
  const { state } = planner;
  const { manifest } = adapter;
  const provider = manifest.id;
  const listed = new Set<string>();
  for (const [index, model] of (entry.models ?? []).entries()) {
    const path = `${providerPath}.models[${index}]`;
    const ref: ModelRef = { name: model.name, type: model.type };
    listed.add(modelKey(provider, ref.type, ref.name));
    if (!passes(planner, `${path}.type`, () => assertServesType(adapter, ref.type))) continue;
    const predefined = manifest.models.some((info) => info.id === ref.name && info.type === ref.type);
    const withCredentials = model.credential !== undefined || (model.credentials?.length ?? 0) > 0;
    const live = state.rows.customModels.some(
      (row) =>
        row.provider === provider &&
        row.model === ref.name &&
        row.model_type === ref.type &&
        row.removed_at === null,
    );
    if (withCredentials || (!predefined && !live)) {
      if (!passes(planner, path, () => assertCustomizable(adapter, ref.type))) continue;
      if (!withCredentials && manifest.modelCredentialForm.length > 0) {
        planner.problems.push({
          path: `${path}.credential`,
          message: 'a custom model needs a credential: credential: NAME, or credentials: [...]',
        });
        continue;
      }
      await planCustomModel(planner, adapter, entry, model, { provider: providerPath, model: path });
    }
    if (withCredentials || !predefined || live) planModelPricing(planner, provider, ref, model.pricing, path);
    else if (model.pricing)
      planner.problems.push({
        path: `${path}.pricing`,
        message: `${ref.name} is predefined by the provider; it has the catalog's price`,
      });
    planModelEnabled(planner, provider, ref, model.enabled ?? true, `${path}.enabled`);
  }
  if (entry.models !== undefined) planLeftOutModels(planner, provider, listed, `${providerPath}.models`);
}

async function planProvider(planner: Planner, provider: string, entry: ProviderEntry): Promise<void> {
  const { core, workspaceId, state } = planner;
  const path = `providers.${provider}`;
  const adapter = core.providers.get(provider as never);
  if (!adapter) {
    planner.problems.push({
      path,
      message: `unknown provider; this server has ${[...core.providers.keys()].join(', ')}`,
    });
    return;
  }
  const { manifest } = adapter;
  if (!state.providers.has(provider)) {
    planner.steps.push({
      change: { action: 'install-provider', path, description: `install provider ${provider}` },
      run: async (actor) => {
        await installProvider(core, actor, { workspaceId, provider });
      },
    });
  }
  const providerForm = manifest.providerCredentialForm;
  if (entry.credentials !== undefined) {
    if (providerForm.length > 0) {
      const desired: DesiredCredential[] = [];
      entry.credentials.forEach((credential, index) => {
        const entryPath = `${path}.credentials[${index}]`;
        const values = resolveValues(planner, providerForm, credential, entryPath, false);
        if (values)
          desired.push({
            name: credential.name,
            values,
            active: credential.active ?? false,
            path: entryPath,
          });
      });
      if (desired.length === entry.credentials.length) {
        await planCredentialScope(planner, {
          provider,
          model: null,
          form: providerForm,
          desired,
          current: scopeCredentials(state, provider, ''),
          path: `${path}.credentials`,
        });
      }
    } else if (manifest.modelCredentialForm.length === 0 && entry.credentials.length > 0) {
      planner.problems.push({
        path: `${path}.credentials`,
        message: `${manifest.label} takes no credentials`,
      });
    }
    // Without a provider form, entries are shared values that models name with `credential:`.
  }
  await planModels(planner, adapter, entry, path);
}

function planDefaults(planner: Planner, config: ConfigFile): void {
  const { core, workspaceId, state } = planner;
  if (config.defaults === undefined) return;
  for (const type of DEFAULT_MODEL_TYPES) {
    const wanted = config.defaults[type] ?? null;
    const current = state.rows.defaults.find((row) => row.model_type === type);
    const path = `defaults.${type}`;
    if (wanted === null) {
      if (current) {
        planner.steps.push({
          change: {
            action: 'clear-default',
            path,
            description: `clear the default ${type} model (was ${current.provider}/${current.model})`,
          },
          run: async (actor) => {
            await clearDefaultModel(core, actor, { workspaceId, type });
          },
        });
      }
      continue;
    }
    const slash = wanted.indexOf('/');
    const provider = wanted.slice(0, slash);
    const model = wanted.slice(slash + 1);
    const adapter = core.providers.get(provider as never);
    if (!adapter) {
      planner.problems.push({ path, message: `unknown provider ${provider}` });
      continue;
    }
    const inFile = (config.providers?.[provider]?.models ?? []).some(
      (entry) => entry.name === model && entry.type === type,
    );
    const known =
      inFile ||
      state.modelsByKey.has(modelKey(provider, type, model)) ||
      adapter.manifest.models.some((info) => info.id === model && info.type === type);
    if (!known) {
      planner.problems.push({
        path,
        message: `${provider}/${model} is not a ${type} model of this workspace or of the file`,
      });
      continue;
    }
    if (current && current.provider === provider && current.model === model) continue;
    planner.steps.push({
      change: {
        action: 'set-default',
        path,
        description: `set the default ${type} model to ${provider}/${model}`,
      },
      run: async (actor) => {
        await setDefaultModel(core, actor, { workspaceId, provider, model: { name: model, type } });
      },
    });
  }
}

/** Finds the file's workspace by id, or by a name no other workspace has. */
async function findWorkspaceId(core: Core, nameOrId: string): Promise<string | ConfigProblem> {
  const byId = await core.db
    .selectFrom('workspaces')
    .select('id')
    .where('id', '=', nameOrId)
    .executeTakeFirst();
  if (byId) return byId.id;
  const byName = await core.db.selectFrom('workspaces').select('id').where('name', '=', nameOrId).execute();
  if (byName.length === 1 && byName[0]) return byName[0].id;
  return {
    path: 'workspace',
    message:
      byName.length === 0
        ? `no workspace named "${nameOrId}"`
        : `${byName.length} workspaces are named "${nameOrId}"; use the workspace id`,
  };
}

/** Compares the file with the workspace and lists the steps that make them match; problems are collected, not thrown. */
export async function buildPlan(
  core: Core,
  config: ConfigFile,
  env: ConfigEnvironment,
): Promise<{ plan: Plan | null; problems: ConfigProblem[] }> {
  const workspace = await findWorkspaceId(core, config.workspace);
  if (typeof workspace !== 'string') return { plan: null, problems: [workspace] };
  const planner: Planner = {
    core,
    workspaceId: workspace,
    state: await loadState(core, workspace),
    env,
    problems: [],
    steps: [],
  };
  for (const [provider, entry] of Object.entries(config.providers ?? {}))
    await planProvider(planner, provider, entry);
  if (config.prune) {
    for (const provider of planner.state.providers.keys()) {
      if (config.providers && Object.hasOwn(config.providers, provider)) continue;
      planner.steps.push({
        change: {
          action: 'uninstall-provider',
          path: 'prune',
          description: `uninstall provider ${provider} with its credentials and models`,
        },
        run: async (actor) => {
          await uninstallProvider(core, actor, { workspaceId: workspace, provider, confirm: true });
        },
      });
    }
  }
  planDefaults(planner, config);
  await planApiKeys(planner, config.apiKeys, config.apiKeyPolicy, (provider) =>
    (config.providers?.[provider]?.credentials ?? []).map((credential) => credential.name),
  );
  return { plan: { workspaceId: workspace, steps: planner.steps }, problems: planner.problems };
}
