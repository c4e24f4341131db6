import {
  createApiKey,
  getApiKeyPolicy,
  listApiKeys,
  revokeApiKey,
  setApiKeyPolicy,
  updateApiKey,
} from '@switchboard/core';
import { z } from 'zod';
import { router, workspaceProcedure } from '../trpc.ts';

// Types only: every rule (ranges, known providers, pinned credentials, the editors' policy) is
// core's, so the API, the CLI and the config file give the same field errors.

/** The limit fields of a key: left out, unchanged (on create: no limit); null removes the limit. */
const limitFields = {
  /** `provider/model` or `provider/*` the key may call; null: every model. */
  models: z.array(z.string()).nullish(),
  /** Provider id to the one credential id the key's calls to that provider use. */
  credentials: z.record(z.string(), z.string()).nullish(),
  /** Requests per UTC minute. */
  requestsPerMinute: z.number().nullish(),
  /** Tokens (in + out) per UTC minute. */
  tokensPerMinute: z.number().nullish(),
  /** Spend per UTC month in the catalog currency (USD). */
  monthlyBudget: z.number().nullish(),
};

/** Workspace API keys (`sbk_…`) for the `/v1` gateway, with their limits. */
export const apiKeysRouter = router({
  /** Keys without their secrets, each with its limits and its use of this minute and month (any member). */
  list: workspaceProcedure.query(({ ctx, input }) => listApiKeys(ctx.core, ctx.actor, input)),

  /**
   * Creates a key (editor, admin or owner; an editor's within the workspace's policy); the
   * response is the only time its secret is shown.
   */
  create: workspaceProcedure
    .input(z.object({ name: z.string(), ...limitFields }))
    .mutation(({ ctx, input }) => createApiKey(ctx.core, ctx.actor, input)),

  /** Changes a key's name or limits (owner or admin: any key; editor: their own, within the policy). */
  update: workspaceProcedure
    .input(
      z.object({
        apiKeyId: z.string().min(1, 'apiKeyId is required'),
        name: z.string().optional(),
        version: z.number().optional(),
        ...limitFields,
      }),
    )
    .mutation(({ ctx, input }) => updateApiKey(ctx.core, ctx.actor, input)),

  /** Revokes a key (owner or admin: any key; editor: the keys they created). */
  revoke: workspaceProcedure
    .input(z.object({ apiKeyId: z.string().min(1, 'apiKeyId is required') }))
    .mutation(({ ctx, input }) => revokeApiKey(ctx.core, ctx.actor, input)),

  /** What editors' keys may reach and spend (any member may read it). */
  policy: workspaceProcedure.query(({ ctx, input }) => getApiKeyPolicy(ctx.core, ctx.actor, input)),

  /** Replaces the editors' policy (owner or admin); a null or absent field is no restriction. */
  setPolicy: workspaceProcedure
    .input(
      z.object({
        models: z.array(z.string()).nullish(),
        maxRequestsPerMinute: z.number().nullish(),
        maxTokensPerMinute: z.number().nullish(),
        maxMonthlyBudget: z.number().nullish(),
        version: z.number().optional(),
      }),
    )
    .mutation(({ ctx, input }) => setApiKeyPolicy(ctx.core, ctx.actor, input)),
});
