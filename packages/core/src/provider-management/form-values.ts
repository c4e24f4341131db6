import type { CredentialValues, FormField } from '@switchboard/provider-spec';
import { badRequest, type FieldErrors } from '../errors.ts';

// Credential form values: checking what a client sent against a provider's form.

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
