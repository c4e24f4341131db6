import {
  type CallContext,
  type CredentialValues,
  type FormField,
  isProviderError,
  type ModelType,
  type ProviderAdapter,
  type ProviderId,
  type ValidationResult,
  type ValidationTarget,
} from '@switchboard/providers/spec';
import type { Core } from '../core.ts';
import { maskSecret } from '../crypto/mask.ts';
import type { DbOrTrx, ProviderCredentialRow } from '../db/schema.ts';
import { badRequest, CoreError, type FieldErrors, notFound } from '../errors.ts';
import { parseObject } from './state.ts';

/** How long a validation or discovery call may take before the form gets a timeout error. */
const VALIDATION_TIMEOUT_MS = 30_000;

/** The adapter of a provider this server ships, or NOT_FOUND. */
export function adapterFor(core: Core, provider: string): ProviderAdapter {
  const adapter = core.providers.get(provider as ProviderId);
  if (!adapter) throw notFound(`Provider ${provider}`);
  return adapter;
}

/** The adapter of a provider the workspace installed; PRECONDITION_FAILED when it is not installed. */
export async function installedAdapter(
  core: Core,
  db: DbOrTrx,
  workspaceId: string,
  provider: string,
): Promise<ProviderAdapter> {
  const adapter = adapterFor(core, provider);
  const install = await db
    .selectFrom('provider_installs')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('provider', '=', provider)
    .executeTakeFirst();
  if (!install)
    throw new CoreError('PRECONDITION_FAILED', `Install ${adapter.manifest.label} in this workspace first`);
  return adapter;
}

/** Checks that a provider accepts custom models of a type. */
export function assertCustomizable(adapter: ProviderAdapter, type: ModelType): void {
  const { manifest } = adapter;
  if (!manifest.configurationMethods.includes('customizable')) {
    throw badRequest(`${manifest.label} serves a fixed set of models; it does not accept custom models`, {
      model: [`${manifest.label} does not accept custom models`],
    });
  }
  if (!manifest.modelTypes.includes(type)) {
    throw badRequest(`${manifest.label} has no ${type} models`, {
      'model.type': [`${manifest.label} supports ${manifest.modelTypes.join(', ')}`],
    });
  }
}

/** Credential form of a provider, or of its custom models. */
export const credentialForm = (adapter: ProviderAdapter, forModel: boolean): FormField[] =>
  forModel ? adapter.manifest.modelCredentialForm : adapter.manifest.providerCredentialForm;

/** Form fields that decide where a secret is sent: changing one means typing the secret again. */
export const isDestinationField = (id: string): boolean =>
  id === 'base_url' ||
  id === 'endpoint' ||
  id === 'proxy_url' ||
  id === 'api_base' ||
  id.endsWith('_endpoint');

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

function fieldShown(field: FormField, values: CredentialValues): boolean {
  if (!field.showWhen) return true;
  const other = values[field.showWhen.field];
  return field.showWhen.equals === undefined ? !isEmpty(other) : other === field.showWhen.equals;
}

/**
 * Checks form values against a credential form: unknown fields, required fields (those
 * shown), types and select options. Returns the values with defaults applied, strings trimmed.
 */
export function normalizeValues(form: FormField[], input: Record<string, unknown>): CredentialValues {
  const errors: FieldErrors = {};
  const known = new Set(form.map((field) => field.id));
  for (const key of Object.keys(input)) {
    if (!known.has(key))
      errors[key] = [`Unknown field; this form has ${[...known].join(', ') || 'no fields'}`];
  }
  const values: CredentialValues = {};
  for (const field of form) {
    let value = input[field.id];
    if (typeof value === 'string' && field.type !== 'secret') value = value.trim();
    if (isEmpty(value)) {
      if (field.default !== undefined) values[field.id] = field.default;
      continue;
    }
    if (field.type === 'number') {
      const number = typeof value === 'number' ? value : Number(value);
      if (!Number.isFinite(number)) errors[field.id] = [`${field.label} must be a number`];
      else values[field.id] = number;
    } else if (field.type === 'switch') {
      if (typeof value === 'boolean') values[field.id] = value;
      else if (value === 'true' || value === 'false') values[field.id] = value === 'true';
      else errors[field.id] = [`${field.label} must be on or off`];
    } else if (typeof value !== 'string') {
      errors[field.id] = [`${field.label} must be text`];
    } else if (
      field.type === 'select' &&
      field.options &&
      !field.options.some((option) => option.value === value)
    ) {
      errors[field.id] = [
        `${field.label} must be one of ${field.options.map((option) => option.value).join(', ')}`,
      ];
    } else {
      values[field.id] = value;
    }
  }
  for (const field of form) {
    if (field.required && fieldShown(field, values) && isEmpty(values[field.id]) && !errors[field.id]) {
      errors[field.id] = [`${field.label} is required`];
    }
  }
  if (Object.keys(errors).length > 0)
    throw badRequest(
      Object.entries(errors)
        .map(([field, messages]) => `${field}: ${messages.join(' ')}`)
        .join('; '),
      errors,
    );
  return values;
}

/**
 * Proves credential values with one real call to the provider. A ProviderError becomes
 * BAD_REQUEST with the upstream's reason on the form field at fault (`api_key`, `base_url`...), keyed by form field id as the console renders them.
 */
export async function validateWithAdapter(
  adapter: ProviderAdapter,
  form: FormField[],
  values: CredentialValues,
  target?: ValidationTarget,
): Promise<ValidationResult> {
  const context: CallContext = { credentials: values, signal: AbortSignal.timeout(VALIDATION_TIMEOUT_MS) };
  try {
    return await adapter.validateCredentials(context, target);
  } catch (error) {
    throw providerFieldError(error, form);
  }
}

/** Turns an adapter failure into a field error for the form; anything else passes through. */
export function providerFieldError(error: unknown, form: FormField[]): unknown {
  if (!isProviderError(error)) return error;
  const field =
    error.field && form.some((candidate) => candidate.id === error.field)
      ? error.field
      : (error.field ?? 'api_key');
  const upstream =
    error.upstreamMessage && !error.message.includes(error.upstreamMessage)
      ? ` (${error.upstreamMessage})`
      : '';
  const message = `${error.message}${upstream}`;
  return badRequest(`${error.provider}: ${message}`, { [field]: [message] });
}

/** Values split for storage: plain JSON, sealed secrets, and masks for lists. */
export interface StoredValues {
  plain_values: string;
  sealed_values: string;
  masked_values: string;
}

/** Seals the secret fields of `values` for one credential (pass the transaction on SQLite). */
export async function sealValues(
  core: Core,
  db: DbOrTrx,
  workspaceId: string,
  credentialId: string,
  form: FormField[],
  values: CredentialValues,
): Promise<StoredValues> {
  const plain: Record<string, unknown> = {};
  const sealed: Record<string, string> = {};
  const masked: Record<string, string> = {};
  const secretIds = new Set(form.filter((field) => field.type === 'secret').map((field) => field.id));
  for (const [id, value] of Object.entries(values)) {
    if (value === undefined) continue;
    if (secretIds.has(id)) {
      const text = String(value);
      sealed[id] = await core.keyring.encrypt(workspaceId, `${credentialId}/${id}`, text, db);
      masked[id] = maskSecret(text);
    } else {
      plain[id] = value;
    }
  }
  return {
    plain_values: JSON.stringify(plain),
    sealed_values: JSON.stringify(sealed),
    masked_values: JSON.stringify(masked),
  };
}

/** A stored credential's values with its secrets decrypted: only for calls to the provider. */
export async function openValues(
  core: Core,
  db: DbOrTrx,
  row: ProviderCredentialRow,
): Promise<CredentialValues> {
  const values: CredentialValues = { ...parseObject(row.plain_values) };
  for (const [id, sealed] of Object.entries(parseObject(row.sealed_values))) {
    values[id] = await core.keyring.decrypt(row.workspace_id, `${row.id}/${id}`, String(sealed), db);
  }
  return values;
}

/** Picks the next free `API key N` name among existing names. */
export function nextCredentialName(existing: Iterable<string>): string {
  const taken = new Set(existing);
  for (let index = 1; ; index++) {
    const name = `API key ${index}`;
    if (!taken.has(name)) return name;
  }
}
