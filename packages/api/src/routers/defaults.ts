import { getDefaultModels, setDefaultModel } from '@switchboard/core';
import { z } from 'zod';
import { router, workspaceProcedure } from '../trpc.ts';
import { actorOf, providerInput, versionInput } from './provider-inputs.ts';

/** The default model types. */
const defaultTypeInput = z.enum(['llm', 'text-embedding', 'rerank', 'speech2text', 'tts'], {
  error: 'Unknown default model type',
});

/** The workspace's default model per type. */
export const defaultsRouter = router({
  /** Each type's default with its status; a removed or disabled model is reported, never replaced. */
  get: workspaceProcedure.query(({ ctx, input }) => getDefaultModels(ctx.core, actorOf(ctx), input)),

  /** Sets a type's default (the model must exist, be enabled and usable), or clears it with `model: null`. */
  set: workspaceProcedure
    .input(
      z.object({
        type: defaultTypeInput,
        provider: providerInput.optional(),
        model: z.string().trim().min(1).nullable(),
        version: versionInput.optional(),
      }),
    )
    .mutation(({ ctx, input }) => setDefaultModel(ctx.core, actorOf(ctx), input)),
});
