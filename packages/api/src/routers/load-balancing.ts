import { getLoadBalancing, setLoadBalancing } from '@switchboard/core';
import { z } from 'zod';
import { router, workspaceProcedure } from '../trpc.ts';
import { modelRefInput, providerInput, versionInput } from './provider-inputs.ts';

const target = z.object({ provider: providerInput, model: modelRefInput });
/** Credentials and their weights (core checks the pool, the range and duplicates, per field). */
const weightsInput = z.array(z.object({ credentialId: z.string().min(1), weight: z.number() })).max(100);

/** Load balancing of one model over its credentials. */
export const loadBalancingRouter = router({
  /** The model's credentials with weights, whether each is included, and each one's cooldown. */
  get: workspaceProcedure
    .input(target)
    .query(({ ctx, input }) => getLoadBalancing(ctx.core, ctx.actor, input)),

  /**
   * Saves load balancing (owner or admin): turning it on takes two or more credentials with whole
   * weights from 1 to 100; turning it off needs no list and keeps the saved weights.
   */
  set: workspaceProcedure
    .input(
      z.discriminatedUnion('enabled', [
        target.extend({
          enabled: z.literal(true),
          credentials: weightsInput,
          version: versionInput.optional(),
        }),
        target.extend({
          enabled: z.literal(false),
          credentials: weightsInput.optional(),
          version: versionInput.optional(),
        }),
      ]),
    )
    .mutation(({ ctx, input }) => setLoadBalancing(ctx.core, ctx.actor, input)),
});
