import type { FieldErrors, RouterOutputs } from '$lib/api';

/** A workspace API key as `apiKeys.list` returns it. */
export type ApiKey = RouterOutputs['apiKeys']['list'][number];
/** What editors' keys may reach and spend. */
export type Policy = RouterOutputs['apiKeys']['policy'];

/** The fields of the key form, as typed (text inputs): empty means "no limit". */
export interface LimitForm {
  name: string;
  models: string;
  /** Provider id to the pinned credential id ('' for none). */
  credentials: Record<string, string>;
  requestsPerMinute: string;
  tokensPerMinute: string;
  monthlyBudget: string;
}

/** The form for a key (or a new one). */
export function formOf(key: ApiKey | null): LimitForm {
  const text = (value: number | null | undefined) =>
    value === null || value === undefined ? '' : String(value);
  return {
    name: key?.name ?? '',
    models: key?.limits.models?.join(', ') ?? '',
    credentials: { ...(key?.limits.credentials ?? {}) },
    requestsPerMinute: text(key?.limits.requestsPerMinute),
    tokensPerMinute: text(key?.limits.tokensPerMinute),
    monthlyBudget: text(key?.limits.monthlyBudget),
  };
}

/**
 * Reads a limit typed as text: empty is null ("no limit"). Text that is not a number cannot travel
 * as one (JSON turns NaN into null, which the server would read as "no limit"), so it is stopped
 * here with a message for its field; every other rule (ranges, known providers) is the server's.
 */
export function limitReader(errors: FieldErrors) {
  return (field: string, text: string): number | null => {
    const trimmed = text.trim();
    if (trimmed === '') return null;
    const value = Number(trimmed);
    if (!Number.isFinite(value)) errors[field] = ['must be a number, or empty for no limit'];
    return value;
  };
}

/** The API's input for the form (empty fields are null, no limit), or the fields that are not numbers. */
export function inputOf(form: LimitForm) {
  const errors: FieldErrors = {};
  const number = limitReader(errors);
  const models = form.models
    .split(/[\s,]+/)
    .map((model) => model.trim())
    .filter(Boolean);
  const input = {
    name: form.name,
    models: models.length > 0 ? models : null,
    credentials: Object.fromEntries(Object.entries(form.credentials).filter(([, id]) => id !== '')),
    requestsPerMinute: number('requestsPerMinute', form.requestsPerMinute),
    tokensPerMinute: number('tokensPerMinute', form.tokensPerMinute),
    monthlyBudget: number('monthlyBudget', form.monthlyBudget),
  };
  return Object.keys(errors).length > 0 ? { input: null, errors } : { input, errors: null };
}

/** `12.50 USD` */
export const money = (amount: number) => `${amount.toFixed(amount < 1 && amount > 0 ? 4 : 2)} USD`;

/** The share of a limit used, 0 to 1 (0 without a limit). */
export const share = (used: number, limit: number | null) => (limit ? Math.min(1, used / limit) : 0);
