import {
  activateCredential,
  createCredential,
  credentialLastSuccesses,
  listCredentials,
  removeCredential,
  revalidateCredential,
  updateCredential,
  validateCredential,
} from '@switchboard/core';
import { z } from 'zod';
import { router, workspaceProcedure } from '../trpc.ts';
import { credentialValuesInput, modelRefInput, providerInput, versionInput } from './provider-inputs.ts';

/** Whose credentials: a provider's, or one custom model's when `model` is given. */
const ownerInput = z.object({ provider: providerInput, model: modelRefInput.optional() });
const credentialIdInput = z.string().min(1, 'credentialId is required');

/** Provider credentials and custom-model credentials, through one input shape. */
export const credentialsRouter = router({
  /** Credentials of a provider or of one of its custom models, secrets masked. */
  list: workspaceProcedure
    .input(ownerInput)
    .query(({ ctx, input }) => listCredentials(ctx.core, ctx.actor, input)),

  /**
   * When each credential of the workspace last worked (its last passing check or successful
   * gateway call), failing ones included.
   */
  lastSuccesses: workspaceProcedure.query(({ ctx, input }) =>
    credentialLastSuccesses(ctx.core, ctx.actor, input),
  ),

  /** Checks a form with a real call to the provider and saves nothing (owner or admin). */
  validate: workspaceProcedure
    .input(ownerInput.extend({ values: credentialValuesInput, credentialId: credentialIdInput.optional() }))
    .mutation(({ ctx, input }) => validateCredential(ctx.core, ctx.actor, input)),

  /** Adds a credential after validating it; the first of a provider or model becomes active (owner or admin). */
  create: workspaceProcedure
    .input(ownerInput.extend({ name: z.string().trim().max(100).optional(), values: credentialValuesInput }))
    .mutation(({ ctx, input }) => createCredential(ctx.core, ctx.actor, input)),

  /** Renames or changes a credential; a secret sent back as its mask keeps the stored one (owner or admin). */
  update: workspaceProcedure
    .input(
      z.object({
        credentialId: credentialIdInput,
        version: versionInput.optional(),
        name: z.string().trim().min(1).max(100).optional(),
        values: credentialValuesInput.optional(),
      }),
    )
    .mutation(({ ctx, input }) => updateCredential(ctx.core, ctx.actor, input)),

  /** Removes a credential; a custom model losing its only credential goes too (owner or admin). */
  remove: workspaceProcedure
    .input(z.object({ credentialId: credentialIdInput, version: versionInput.optional() }))
    .mutation(({ ctx, input }) => removeCredential(ctx.core, ctx.actor, input)),

  /** Makes a credential the active one of its provider or model (owner or admin). */
  activate: workspaceProcedure
    .input(z.object({ credentialId: credentialIdInput, version: versionInput.optional() }))
    .mutation(({ ctx, input }) => activateCredential(ctx.core, ctx.actor, input)),

  /** Proves a stored credential again with a real call; a good answer ends its cooldown (owner or admin). */
  revalidate: workspaceProcedure
    .input(z.object({ credentialId: credentialIdInput }))
    .mutation(({ ctx, input }) => revalidateCredential(ctx.core, ctx.actor, input)),
});
