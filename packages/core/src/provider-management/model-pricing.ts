import type { ModelPricing, ModelType } from '@switchboard/provider-spec';
import type { Core } from '../core.ts';
import type { InputCheck } from '../service/input.ts';

// Prices of models (decision 0032): the provider catalog's (`ModelInfo.pricing`) for predefined
// models, the admin's for custom ones, in the same shape and currency (USD per million tokens).
// One lookup for every place that turns usage into money: the usage page, the playground (through
// `models.list`) and API key budgets (through the resolved model).

/** Largest price per million tokens an admin may set, in the catalog's currency (USD). */
export const MAX_PRICE_PER_MILLION = 100_000;

/**
 * A price as callers send it, checked by `checkPricing`: the catalog's shape, with either amount
 * possibly missing so the check can name it; null: no price.
 */
export type ModelPricingInput = {
  inputPerMillion?: number | undefined;
  outputPerMillion?: number | undefined;
} | null;

/** Where a model's price comes from; null when it has none. */
export type PricingSource = 'catalog' | 'custom' | null;

const PRICE_FIELDS = ['inputPerMillion', 'outputPerMillion'] as const;

/** One price per million tokens, or undefined after recording what is wrong with it. */
function checkPrice(check: InputCheck, field: string, value: unknown): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_PRICE_PER_MILLION) {
    check.fail(
      field,
      `must be a price in USD per million tokens from 0 to ${MAX_PRICE_PER_MILLION} (0 when it is free)`,
    );
    return undefined;
  }
  return value;
}

/**
 * A custom model's price as given (`{ inputPerMillion, outputPerMillion }`), or null for "no
 * price"; records what is wrong under `field`. A chat model needs both prices, since it is
 * charged for both (0 says "free"); other types may leave the output price out, as the catalog's
 * embedding models do.
 */
export function checkPricing(
  check: InputCheck,
  field: string,
  value: unknown,
  type: ModelType,
): ModelPricing | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object' || Array.isArray(value)) {
    check.fail(field, 'must be { inputPerMillion, outputPerMillion } in USD, or null for no price');
    return null;
  }
  const given = value as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!(PRICE_FIELDS as readonly string[]).includes(key))
      check.fail(`${field}.${key}`, 'is not a price field; give inputPerMillion and outputPerMillion');
  }
  let input: number | undefined;
  if (given.inputPerMillion === undefined || given.inputPerMillion === null)
    check.fail(`${field}.inputPerMillion`, 'is required when a price is set (0 when input is free)');
  else input = checkPrice(check, `${field}.inputPerMillion`, given.inputPerMillion);
  let output: number | undefined;
  if (given.outputPerMillion === undefined || given.outputPerMillion === null) {
    if (type === 'llm')
      check.fail(`${field}.outputPerMillion`, 'is required for a chat model (0 when output is free)');
  } else output = checkPrice(check, `${field}.outputPerMillion`, given.outputPerMillion);
  if (input === undefined) return null;
  return output === undefined
    ? { inputPerMillion: input }
    : { inputPerMillion: input, outputPerMillion: output };
}

/** The stored column of a price (null: no price). */
export function pricingColumn(pricing: ModelPricing | null): string | null {
  return pricing === null ? null : JSON.stringify(pricing);
}

/** A stored price; a column that is not a well-formed price counts as no price. */
export function parsePricing(text: string | null): ModelPricing | null {
  if (text === null) return null;
  try {
    const parsed = JSON.parse(text) as Partial<ModelPricing> | null;
    const input = parsed?.inputPerMillion;
    const output = parsed?.outputPerMillion;
    if (typeof input !== 'number' || !Number.isFinite(input) || input < 0) return null;
    if (output === undefined) return { inputPerMillion: input };
    if (typeof output !== 'number' || !Number.isFinite(output) || output < 0) return null;
    return { inputPerMillion: input, outputPerMillion: output };
  } catch {
    return null;
  }
}

/** Whether two prices are the same (both absent counts as the same). */
export function samePricing(a: ModelPricing | null, b: ModelPricing | null): boolean {
  if (a === null || b === null) return a === b;
  return a.inputPerMillion === b.inputPerMillion && a.outputPerMillion === b.outputPerMillion;
}

/** The estimated cost of `tokensIn` and `tokensOut` at `pricing`, in USD. */
export function costOf(pricing: ModelPricing, tokensIn: number, tokensOut: number): number {
  return (tokensIn * pricing.inputPerMillion + tokensOut * (pricing.outputPerMillion ?? 0)) / 1_000_000;
}

/** A model's price by provider, type and name; null when it has none. */
export type PriceLookup = (provider: string, type: string, model: string) => ModelPricing | null;

/**
 * The prices of a workspace's models as of now, for pricing recorded usage: a custom model's own
 * price (removed models keep theirs, so their history stays priced), else the catalog's.
 */
export async function loadPriceLookup(core: Core, workspaceId: string): Promise<PriceLookup> {
  const rows = await core.db
    .selectFrom('custom_models')
    .select(['provider', 'model', 'model_type', 'pricing'])
    .where('workspace_id', '=', workspaceId)
    .where('pricing', 'is not', null)
    .execute();
  const custom = new Map<string, ModelPricing>();
  for (const row of rows) {
    const pricing = parsePricing(row.pricing);
    if (pricing) custom.set(`${row.provider}\u0000${row.model_type}\u0000${row.model}`, pricing);
  }
  return (provider, type, model) =>
    custom.get(`${provider}\u0000${type}\u0000${model}`) ??
    core.providers
      .get(provider as never)
      ?.manifest.models.find((info) => info.id === model && info.type === type)?.pricing ??
    null;
}
