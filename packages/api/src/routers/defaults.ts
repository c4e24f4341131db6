import { clearDefaultModel, DEFAULT_MODEL_TYPES, getDefaultModels, setDefaultModel } from '@switchboard/core';
import { z } from 'zod';
import { router, workspaceProcedure } from '../trpc.ts';
import { modelRefInput, providerInput, versionInput } from './provider-inputs.ts';

/** The model types that have a workspace default. */
const defaultTypeInput = z.enum(DEFAULT_MODEL_TYPES, { error: 'Unknown default model type' });

/** The workspace's default model per type. */
export const defaultsRouter = router({
  /** Each type's default with its status; a removed or disabled model is reported, never replaced. */
  get: workspaceProcedure.query(({ ctx, input }) => getDefaultModels(ctx.core, ctx.actor, input)),

  /**
   * Makes a model the default of its type (the model must exist, be enabled and usable), named
   * as everywhere: `provider` and `model: { name, type }`. `version` is the type's current
   * default's (0 when none), optional.
   */
  set: workspaceProcedure
    .input(
      z.object({
        provider: providerInput,
        model: modelRefInput.extend({ type: defaultTypeInput }),
        version: versionInput.optional(),
      }),
    )
    .mutation(({ ctx, input }) => setDefaultModel(ctx.core, ctx.actor, input)),

  /** Clears the default of a type; answers null (owner or admin). */
  clear: workspaceProcedure
    .input(z.object({ type: defaultTypeInput, version: versionInput.optional() }))
    .mutation(({ ctx, input }) => clearDefaultModel(ctx.core, ctx.actor, input)),
});
