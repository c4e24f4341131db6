import type { Actor } from '../access.ts';
import type { Core } from '../core.ts';
import type { DbOrTrx } from '../db/schema.ts';
import { conflict } from '../errors.ts';
import { nowIso } from '../ids.ts';
import { authorize, type WorkspaceRef } from '../service/authorize.ts';
import { InputCheck } from '../service/input.ts';
import { mutate } from '../service/mutate.ts';
import {
  type ApiKeyPolicy,
  checkBudget,
  checkLimitNumber,
  checkModelPatterns,
  MAX_REQUESTS_PER_MINUTE,
  MAX_TOKENS_PER_MINUTE,
  policyOfRow,
  toNanos,
} from './api-key-limits.ts';

// What an admin allows editors' API keys (decision 0026): which models they may reach and the
// largest limits they may set. Checked when an editor creates or changes a key; admins and
// owners are not held to it, and tightening it leaves existing keys as they are.

/** The workspace's stored policy (the open policy when none was set). */
export async function readPolicy(db: DbOrTrx, workspaceId: string): Promise<ApiKeyPolicy> {
  const row = await db
    .selectFrom('api_key_policies')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  return policyOfRow(row);
}

/** What editors' keys may reach and spend in the workspace; any member may read it. */
export async function getApiKeyPolicy(core: Core, actor: Actor, input: WorkspaceRef): Promise<ApiKeyPolicy> {
  await authorize(core, actor, input.workspaceId, 'read');
  return readPolicy(core.db, input.workspaceId);
}

/** The policy fields as `setApiKeyPolicy` takes them: each null (or left out) means no restriction. */
export interface ApiKeyPolicyInput {
  models?: string[] | null | undefined;
  maxRequestsPerMinute?: number | null | undefined;
  maxTokensPerMinute?: number | null | undefined;
  maxMonthlyBudget?: number | null | undefined;
  /** The policy's current version, for optimistic concurrency (CONFLICT when it moved). */
  version?: number | undefined;
}

/** Replaces the workspace's API key policy (owners and admins). */
export async function setApiKeyPolicy(
  core: Core,
  actor: Actor,
  input: WorkspaceRef & ApiKeyPolicyInput,
): Promise<ApiKeyPolicy> {
  const check = new InputCheck();
  const models = checkModelPatterns(check, core, 'models', input.models ?? null);
  const maxRequestsPerMinute = checkLimitNumber(
    check,
    'maxRequestsPerMinute',
    input.maxRequestsPerMinute ?? null,
    MAX_REQUESTS_PER_MINUTE,
    'requests',
  );
  const maxTokensPerMinute = checkLimitNumber(
    check,
    'maxTokensPerMinute',
    input.maxTokensPerMinute ?? null,
    MAX_TOKENS_PER_MINUTE,
    'tokens',
  );
  const maxMonthlyBudget = checkBudget(check, 'maxMonthlyBudget', input.maxMonthlyBudget ?? null);
  if (input.version !== undefined && input.version !== 0) check.version('version', input.version);
  check.done();
  const { workspaceId } = input;
  return mutate(core, actor, workspaceId, async (trx, record) => {
    await authorize(core, actor, workspaceId, 'manage', trx);
    const current = await readPolicy(trx, workspaceId);
    if (input.version !== undefined && input.version !== current.version)
      throw conflict('The API key policy was changed meanwhile; reload and try again');
    const version = current.version + 1;
    const columns = {
      models: models === null ? null : JSON.stringify(models),
      max_requests_per_minute: maxRequestsPerMinute,
      max_tokens_per_minute: maxTokensPerMinute,
      max_monthly_budget_nanos: maxMonthlyBudget === null ? null : toNanos(maxMonthlyBudget),
      updated_at: nowIso(),
      version,
    };
    await trx
      .insertInto('api_key_policies')
      .values({ workspace_id: workspaceId, ...columns })
      .onConflict((conflicting) => conflicting.column('workspace_id').doUpdateSet(columns))
      .execute();
    const policy: ApiKeyPolicy = {
      models,
      maxRequestsPerMinute,
      maxTokensPerMinute,
      maxMonthlyBudget,
      version,
    };
    await record({
      kind: 'api-key',
      action: 'api_key_policy.set',
      targetType: 'workspace',
      targetId: workspaceId,
      details: { models, maxRequestsPerMinute, maxTokensPerMinute, maxMonthlyBudget },
    });
    return policy;
  });
}
