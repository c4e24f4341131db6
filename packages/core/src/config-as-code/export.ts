import { parsePricing } from '../provider-management/model-pricing.ts';
import type { CredentialValues, FormField, ProviderAdapter } from '@switchboard/provider-spec';
import { stringify } from 'yaml';
import type { Core } from '../core.ts';
import type { ProviderCredentialRow } from '../db/schema.ts';
import { badRequest, notFound } from '../errors.ts';
import { loadState } from '../provider-management/catalog.ts';
import { normalizeValues } from '../provider-management/form-values.ts';
import { openValues } from '../provider-management/sealed-values.ts';
import { credentialScope } from '../provider-management/credential-repository.ts';
import { scopeCredentials } from '../provider-management/state.ts';
import { DEFAULT_MODEL_TYPES } from '../provider-management/types.ts';
import { exportApiKeys } from './api-keys.ts';
import type { ConfigFile, ConfigModel, ConfigValue } from './schema.ts';

type ExportedCredential = { name: string; values: Record<string, ConfigValue>; active?: true };

/** `OPENAI_COMPATIBLE_LOCAL_API_KEY`: an environment variable name suggested for one secret. */
export function suggestedEnvName(...parts: string[]): string {
  const name = parts
    .join('_')
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return /^[A-Z_]/.test(name) ? name : `_${name}`;
}

class EnvNames {
  readonly #used = new Set<string>();
  take(...parts: string[]): string {
    const base = suggestedEnvName(...parts);
    let name = base;
    for (let index = 2; this.#used.has(name); index++) name = `${base}_${index}`;
    this.#used.add(name);
    return name;
  }
}

/** Values as the file writes them: plain values as they are, every secret as `{ env: NAME }`. */
function exportValues(
  form: FormField[],
  row: ProviderCredentialRow,
  plain: CredentialValues,
  names: EnvNames,
  prefix: string[],
) {
  const values: Record<string, ConfigValue> = {};
  const secrets = new Set(Object.keys(JSON.parse(row.sealed_values) as Record<string, unknown>));
  for (const field of form) {
    if (field.type === 'secret') {
      if (secrets.has(field.id)) values[field.id] = { env: names.take(...prefix, field.id) };
      continue;
    }
    const value = plain[field.id];
    if (value !== undefined && value !== '') values[field.id] = value;
  }
  return values;
}

/** A credential written once at provider level, with what it was made from. */
interface SharedCredential {
  credential: ExportedCredential;
  row: ProviderCredentialRow;
  stored: CredentialValues;
}

/** A provider credential's values as a model credential made from it holds them (model form, defaults applied). */
function asModelValues(form: FormField[], values: CredentialValues): CredentialValues {
  const known = new Set(form.map((field) => field.id));
  try {
    return normalizeValues(form, Object.fromEntries(Object.entries(values).filter(([id]) => known.has(id))));
  } catch {
    return {};
  }
}

const sameStored = (form: FormField[], left: CredentialValues, right: CredentialValues) =>
  form.every((field) => String(left[field.id] ?? '') === String(right[field.id] ?? ''));

/**
 * The workspace's provider configuration as a configuration file (YAML) that `applyConfig`
 * accepts. No secret is written: each becomes `{ env: SUGGESTED_NAME }`. Secrets are
 * decrypted in memory only to tell whether two models share the same credential.
 */
export async function exportConfig(core: Core, workspaceName: string): Promise<string> {
  const byId = await core.db
    .selectFrom('workspaces')
    .select(['id', 'name'])
    .where('id', '=', workspaceName)
    .executeTakeFirst();
  const byName = byId
    ? []
    : await core.db
        .selectFrom('workspaces')
        .select(['id', 'name'])
        .where('name', '=', workspaceName)
        .execute();
  if (byName.length > 1)
    throw badRequest(`${byName.length} workspaces are named "${workspaceName}"; use the workspace id`);
  const workspace = byId ?? byName[0];
  if (!workspace) throw notFound(`Workspace ${workspaceName}`);
  const state = await loadState(core, workspace.id);
  const names = new EnvNames();
  const providers: Record<string, { credentials?: ExportedCredential[]; models: ConfigModel[] }> = {};

  for (const { manifest, adapter } of state.providers.values()) {
    const provider = manifest.id;
    const providerForm = manifest.providerCredentialForm;
    const modelForm = manifest.modelCredentialForm;
    const shared: SharedCredential[] = [];
    for (const row of scopeCredentials(state, provider, '')) {
      const stored = await openValues(core, core.db, row);
      const credential: ExportedCredential = {
        name: row.name,
        values: exportValues(providerForm, row, stored, names, [provider, row.name]),
        ...(row.is_active === 1 ? { active: true as const } : {}),
      };
      shared.push({ credential, row, stored });
    }
    const models: ConfigModel[] = [];
    for (const model of state.models) {
      if (model.provider !== provider) continue;
      const enabled = (model.setting?.enabled ?? 1) === 1;
      if (!model.customModel) {
        if (!enabled) models.push({ name: model.name, type: model.type, enabled: false });
        continue;
      }
      const entry: ConfigModel = { name: model.name, type: model.type };
      if (modelForm.length > 0) {
        const own: ExportedCredential[] = [];
        const rows = scopeCredentials(
          state,
          provider,
          credentialScope({ name: model.name, type: model.type }),
        );
        for (const row of rows) {
          const stored = await openValues(core, core.db, row);
          const reused = shareable(adapter, shared, row, stored, names, provider);
          // A model credential equal to a shared entry (same name and values) is written as a reference.
          if (reused && row.is_active === 1 && entry.credential === undefined) {
            entry.credential = reused.name;
            continue;
          }
          own.push({
            name: row.name,
            values: exportValues(modelForm, row, stored, names, [provider, model.name, row.name]),
            ...(row.is_active === 1 ? { active: true as const } : {}),
          });
        }
        if (own.length > 0) entry.credentials = own;
      }
      if (!enabled) entry.enabled = false;
      const pricing = parsePricing(model.customModel.pricing);
      if (pricing) entry.pricing = pricing;
      models.push(entry);
    }
    const credentials = shared.map((item) => item.credential);
    providers[provider] = {
      ...(providerForm.length > 0 || credentials.length > 0 ? { credentials } : {}),
      models,
    };
  }

  const defaults: Partial<Record<(typeof DEFAULT_MODEL_TYPES)[number], string>> = {};
  for (const type of DEFAULT_MODEL_TYPES) {
    const row = state.rows.defaults.find((candidate) => candidate.model_type === type);
    if (row) defaults[type] = `${row.provider}/${row.model}`;
  }
  const file: Omit<ConfigFile, 'prune'> = {
    workspace: workspace.name,
    providers,
    defaults,
    ...(await exportApiKeys(core, workspace.id)),
  };
  return stringify(file, { lineWidth: 0 });
}

/**
 * For providers without a provider form, model credentials with the same name and
 * values are written once at provider level and referenced by name.
 */
function shareable(
  adapterOfProvider: ProviderAdapter,
  list: SharedCredential[],
  row: ProviderCredentialRow,
  stored: CredentialValues,
  envNames: EnvNames,
  provider: string,
): ExportedCredential | null {
  const form = adapterOfProvider.manifest.modelCredentialForm;
  const match = list.find(
    (item) => item.row.name === row.name && sameStored(form, asModelValues(form, item.stored), stored),
  );
  if (match) return match.credential;
  if (adapterOfProvider.manifest.providerCredentialForm.length > 0) return null;
  if (list.some((item) => item.row.name === row.name)) return null;
  const template: ExportedCredential = {
    name: row.name,
    values: exportValues(form, row, stored, envNames, [provider, row.name]),
  };
  list.push({ credential: template, row, stored });
  return template;
}
