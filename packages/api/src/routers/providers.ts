import { installProvider, listProviders, providerCatalog, uninstallProvider } from '@switchboard/core';
import { z } from 'zod';
import { router, workspaceProcedure } from '../trpc.ts';
import { modelTypeInput, providerInput, versionInput } from './provider-inputs.ts';

/** The provider catalog and the providers a workspace installed. */
export const providersRouter = router({
  /** Every provider this server ships, with its manifest, optionally only those serving a model type. */
  catalog: workspaceProcedure
    .input(z.object({ type: modelTypeInput.optional() }))
    .query(({ ctx, input }) => providerCatalog(ctx.core, ctx.actor, input)),

  /** Installed providers with their provider credentials (secrets masked) and model counts. */
  list: workspaceProcedure.query(({ ctx, input }) => listProviders(ctx.core, ctx.actor, input)),

  /** Installs a provider from the catalog (owner or admin). */
  install: workspaceProcedure
    .input(z.object({ provider: providerInput }))
    .mutation(({ ctx, input }) => installProvider(ctx.core, ctx.actor, input)),

  /** Uninstalls a provider; with credentials left, `confirm: true` is required (owner or admin). */
  uninstall: workspaceProcedure
    .input(
      z.object({
        provider: providerInput,
        confirm: z.boolean().optional(),
        version: versionInput.optional(),
      }),
    )
    .mutation(({ ctx, input }) => uninstallProvider(ctx.core, ctx.actor, input)),
});
