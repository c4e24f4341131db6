import { getLoadBalancing, setLoadBalancing } from '@switchboard/core';
import { z } from 'zod';
import { router, workspaceProcedure } from '../trpc.ts';
import { actorOf, modelRefInput, providerInput, versionInput } from './provider-inputs.ts';

const target = z.object({ provider: providerInput, model: modelRefInput });

/** Load balancing of one model over its credentials. */
export const loadBalancingRouter = router({
  /** The model's credentials with weights, whether each is included, and each one's cooldown. */
  get: workspaceProcedure
    .input(target)
    .query(({ ctx, input }) => getLoadBalancing(ctx.core, actorOf(ctx), input)),

  /** Saves load balancing: two or more credentials, whole weights from 1 to 100 (owner or admin). */
  set: workspaceProcedure
    .input(
      target.extend({
        enabled: z.boolean(),
        credentials: z.array(z.object({ credentialId: z.string().min(1), weight: z.number() })).max(100),
        version: versionInput.optional(),
      }),
    )
    .mutation(({ ctx, input }) => setLoadBalancing(ctx.core, actorOf(ctx), input)),
});
