import {
  addCustomModel,
  addDiscoveredModels,
  discoverModels,
  listModels,
  manageCredentials,
  removeModel,
  setModelEnabled,
  updateCustomModel,
} from '@switchboard/core';
import { z } from 'zod';
import { router, workspaceProcedure } from '../trpc.ts';
import {
  credentialValuesInput,
  modelRefInput,
  modelTypeInput,
  pricingInput,
  providerInput,
  versionInput,
} from './provider-inputs.ts';

/** One model, with the version the client saw (optional optimistic concurrency). */
const modelInput = z.object({
  provider: providerInput,
  model: modelRefInput,
  version: versionInput.optional(),
});
/** A new credential (form values) or an existing one of the provider. */
const modelCredentialInput = z.union([
  z.object({ credentialId: z.string().min(1) }),
  z.object({ name: z.string().trim().max(100).optional(), values: credentialValuesInput }),
]);
/** Where to discover from: a stored credential, or form values. */
const discoverySourceInput = z.object({
  provider: providerInput,
  credentialId: z.string().min(1).optional(),
  values: credentialValuesInput.optional(),
});

/** The workspace's models: list with status, custom models, discovery and enable/disable. */
export const modelsRouter = router({
  /** Models with status and reason, optionally of one provider and type. */
  list: workspaceProcedure
    .input(z.object({ provider: providerInput.optional(), type: modelTypeInput.optional() }))
    .query(({ ctx, input }) => listModels(ctx.core, ctx.actor, input)),

  /**
   * Adds a custom model with a new or existing credential; same name and type attaches the
   * credential (`attached: true`); a removed model comes back with its kept credentials. An
   * optional price (USD per million tokens) is set with it; left out, an existing model keeps its own.
   */
  addCustom: workspaceProcedure
    .input(
      z.object({
        provider: providerInput,
        model: modelRefInput,
        credential: modelCredentialInput.optional(),
        pricing: pricingInput.optional(),
      }),
    )
    .mutation(({ ctx, input }) => addCustomModel(ctx.core, ctx.actor, input)),

  /** Changes a custom model's price (null: no price); returns the price and the model's new version. */
  update: workspaceProcedure
    .input(modelInput.extend({ pricing: pricingInput }))
    .mutation(({ ctx, input }) => updateCustomModel(ctx.core, ctx.actor, input)),

  /** Removes a custom model, keeping its credentials for a re-add. */
  remove: workspaceProcedure
    .input(modelInput)
    .mutation(({ ctx, input }) => removeModel(ctx.core, ctx.actor, input)),

  /** Models a discoverable provider's server has loaded, marked added or not. */
  discover: workspaceProcedure
    .input(discoverySourceInput)
    .mutation(({ ctx, input }) => discoverModels(ctx.core, ctx.actor, input)),

  /** Adds several discovered models in one step. */
  addDiscovered: workspaceProcedure
    .input(
      discoverySourceInput.extend({
        models: z.array(modelRefInput).min(1, 'Pick at least one model').max(500),
      }),
    )
    .mutation(({ ctx, input }) => addDiscoveredModels(ctx.core, ctx.actor, input)),

  /** Enables a model. */
  enable: workspaceProcedure
    .input(modelInput)
    .mutation(({ ctx, input }) => setModelEnabled(ctx.core, ctx.actor, { ...input, enabled: true })),

  /** Disables a model. */
  disable: workspaceProcedure
    .input(modelInput)
    .mutation(({ ctx, input }) => setModelEnabled(ctx.core, ctx.actor, { ...input, enabled: false })),

  /** Every custom model's credentials of a provider, removed models included. */
  manageCredentials: workspaceProcedure
    .input(z.object({ provider: providerInput }))
    .query(({ ctx, input }) => manageCredentials(ctx.core, ctx.actor, input)),
});
