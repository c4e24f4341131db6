import type { Model } from '$lib/provider-state';

// A custom model's price as the providers page's forms hold it (decision 0032): two optional
// amounts typed as text, in the catalog's currency (USD) per million tokens. The server checks
// them and names the field that is wrong; empty and empty is "no price", which is not 0.

/** The catalog's currency, shown beside every price input. */
export const PRICE_CURRENCY = 'USD';

/** A model's price as `models.list` returns it. */
export type ModelPricing = Model['pricing'];

/** The two inputs' text. */
export interface PriceDraft {
  input: string;
  output: string;
}

/** The inputs' text for a stored price (empty for no price). */
export function draftOf(pricing: ModelPricing): PriceDraft {
  return {
    input: pricing ? String(pricing.inputPerMillion) : '',
    output: pricing?.outputPerMillion === undefined ? '' : String(pricing.outputPerMillion),
  };
}

/** What to send: null when both inputs are empty, else the amounts given (the server names a missing one). */
export function pricingToSend(
  draft: PriceDraft,
): { inputPerMillion?: number; outputPerMillion?: number } | null {
  const input = draft.input.trim();
  const output = draft.output.trim();
  if (input === '' && output === '') return null;
  return {
    ...(input === '' ? {} : { inputPerMillion: Number(input) }),
    ...(output === '' ? {} : { outputPerMillion: Number(output) }),
  };
}

/** `$0.5 in · $1.25 out per 1M tokens`, or `No price`. */
export function formatPrice(pricing: ModelPricing): string {
  if (!pricing) return 'No price';
  const output = pricing.outputPerMillion === undefined ? '' : ` · $${pricing.outputPerMillion} out`;
  return `$${pricing.inputPerMillion} in${output} per 1M tokens`;
}
