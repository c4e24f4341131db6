import type { RouterOutputs } from '$lib/api';

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
 * The API's input for the form: empty fields are null (no limit); numbers are sent as typed, so
 * the server's message names a field that is not one.
 */
export function inputOf(form: LimitForm) {
  const number = (value: string) => (value.trim() === '' ? null : Number(value.trim()));
  const models = form.models
    .split(/[\s,]+/)
    .map((model) => model.trim())
    .filter(Boolean);
  return {
    name: form.name,
    models: models.length > 0 ? models : null,
    credentials: Object.fromEntries(Object.entries(form.credentials).filter(([, id]) => id !== '')),
    requestsPerMinute: number(form.requestsPerMinute),
    tokensPerMinute: number(form.tokensPerMinute),
    monthlyBudget: number(form.monthlyBudget),
  };
}

/** `12.50 USD` */
export const money = (amount: number) => `${amount.toFixed(amount < 1 && amount > 0 ? 4 : 2)} USD`;

/** The share of a limit used, 0 to 1 (0 without a limit). */
export const share = (used: number, limit: number | null) => (limit ? Math.min(1, used / limit) : 0);
