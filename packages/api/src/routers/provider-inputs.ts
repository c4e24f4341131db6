import { MODEL_TYPES, PROVIDER_IDS } from '@switchboard/provider-spec';
import { z } from 'zod';

// Input pieces shared by the provider-management routers, so every procedure names things alike.

/** A provider id from the catalog. */
export const providerInput = z.enum(PROVIDER_IDS, { error: 'Unknown provider' });

/** A model type. */
export const modelTypeInput = z.enum(MODEL_TYPES, { error: 'Unknown model type' });

/** A model within a provider: the custom-model key. */
export const modelRefInput = z.object({
  name: z.string().trim().min(1, 'Model name is required').max(200),
  type: modelTypeInput,
});

/** Credential form values by field id (null clears one); secrets may be sent back as their mask to keep them. */
export const credentialValuesInput = z.record(
  z.string(),
  z.union([z.string(), z.number(), z.boolean(), z.null()]),
);

/** The version of the object a client saw: optional everywhere; when sent, a changed object answers CONFLICT. */
export const versionInput = z.number().int().min(0);

/**
 * A model's price in USD per million tokens, in the provider catalog's shape; null: no price.
 * Types only: core checks the amounts and names the field that is wrong.
 */
export const pricingInput = z
  .strictObject({
    inputPerMillion: z.number({ error: 'must be a number' }).optional(),
    outputPerMillion: z.number({ error: 'must be a number' }).optional(),
  })
  .nullable();
