import { type Actor, actorId, assertGrants, roleGrants } from '../access.ts';
import type { Core } from '../core.ts';
import type { Trx } from '../db/schema.ts';
import { badRequest, conflict, notFound } from '../errors.ts';
import { newId, nowIso } from '../ids.ts';
import { type Access, authorize, type WorkspaceRef } from '../service/authorize.ts';
import { InputCheck } from '../service/input.ts';
import { mutate } from '../service/mutate.ts';
import { readApiKeyUsage } from './api-key-counters.ts';
import {
  type ApiKeyLimits,
  type ApiKeyLimitsInput,
  checkBudget,
  checkLimitNumber,
  checkModelPatterns,
  checkPins,
  limitColumns,
  limitsOfRow,
  MAX_REQUESTS_PER_MINUTE,
  MAX_TOKENS_PER_MINUTE,
  policyViolations,
} from './api-key-limits.ts';
import { readPolicy } from './api-key-policy.ts';
import { newSecret } from './secrets.ts';
import {
  findApiKey,
  insertApiKey,
  listApiKeyRows,
  setApiKeyRevoked,
  updateApiKeyRow,
} from './token-repository.ts';
import { type ApiKeyView, toApiKeyView } from './views.ts';

const NO_LIMITS: ApiKeyLimits = {
  models: null,
  credentials: {},
  requestsPerMinute: null,
  tokensPerMinute: null,
  monthlyBudget: null,
};

/**
 * Checks the limit fields given in `input` over `base` (left out: kept), then the admin's policy
 * when the caller is an editor (admins and owners are not held to it). Throws BAD_REQUEST naming
 * every bad field before anything is written.
 */
async function checkLimits(
  core: Core,
  trx: Trx,
  access: Access,
  input: ApiKeyLimitsInput,
  base: ApiKeyLimits,
  check: InputCheck,
): Promise<ApiKeyLimits> {
  const limits = { ...base };
  if (input.models !== undefined) limits.models = checkModelPatterns(check, core, 'models', input.models);
  if (input.credentials !== undefined)
    limits.credentials = await checkPins(check, core, trx, access.workspaceId, input.credentials);
  if (input.requestsPerMinute !== undefined)
    limits.requestsPerMinute = checkLimitNumber(
      check,
      'requestsPerMinute',
      input.requestsPerMinute,
      MAX_REQUESTS_PER_MINUTE,
      'requests',
    );
  if (input.tokensPerMinute !== undefined)
    limits.tokensPerMinute = checkLimitNumber(
      check,
      'tokensPerMinute',
      input.tokensPerMinute,
      MAX_TOKENS_PER_MINUTE,
      'tokens',
    );
  if (input.monthlyBudget !== undefined)
    limits.monthlyBudget = checkBudget(check, 'monthlyBudget', input.monthlyBudget);
  check.done();
  if (!roleGrants(access.role, 'manage')) {
    const problems = policyViolations(await readPolicy(trx, access.workspaceId), limits);
    const fields = Object.keys(problems);
    if (fields.length > 0) {
      throw badRequest(
        fields.map((field) => `${field}: ${problems[field]}`).join('; '),
        Object.fromEntries(fields.map((field) => [field, [problems[field] as string]])),
      );
    }
  }
  return limits;
}

/**
 * Creates a workspace API key for `/v1`, with optional limits; `key` is the only time the secret
 * is shown. Editors, admins and owners may create keys for their apps (an editor's within the
 * workspace's API key policy); the CLI (`{ kind: 'system', label: 'cli' }`) may too.
 */
export async function createApiKey(
  core: Core,
  actor: Actor,
  input: WorkspaceRef & { name: string } & ApiKeyLimitsInput,
): Promise<{ key: string; view: ApiKeyView }> {
  const check = new InputCheck();
  const name = check.name('name', input.name, 'API key name');
  const { workspaceId } = input;
  return mutate(core, actor, workspaceId, async (trx, record) => {
    const access = await authorize(core, actor, workspaceId, 'api-keys.own', trx);
    const limits = await checkLimits(core, trx, access, input, NO_LIMITS, check);
    const secret = newSecret('sbk_');
    const row = {
      id: newId('key'),
      workspace_id: workspaceId,
      name,
      token_hash: secret.hash,
      token_prefix: secret.prefix,
      created_by: actorId(actor),
      created_at: nowIso(),
      last_used_at: null,
      revoked_at: null,
      ...limitColumns(limits),
      version: 1,
    };
    await insertApiKey(trx, row);
    const view = toApiKeyView(row);
    await record({
      kind: 'api-key',
      action: 'api_key.create',
      targetType: 'api_key',
      targetId: row.id,
      details: { name: view.name, prefix: view.prefix, limits: view.limits },
    });
    return { key: secret.secret, view };
  });
}

/**
 * Changes a key's name or limits (fields left out stay; null removes a limit). Owners and admins
 * change any key, editors the keys they created, within the workspace's policy. `version`, when
 * sent, must be the key's current one (CONFLICT otherwise). A revoked key cannot change.
 */
export async function updateApiKey(
  core: Core,
  actor: Actor,
  input: WorkspaceRef & {
    apiKeyId: string;
    name?: string | undefined;
    version?: number | undefined;
  } & ApiKeyLimitsInput,
): Promise<ApiKeyView> {
  const check = new InputCheck();
  const apiKeyId = check.required('apiKeyId', input.apiKeyId, 'API key');
  const name = input.name === undefined ? undefined : check.name('name', input.name, 'API key name');
  if (input.version !== undefined) check.version('version', input.version);
  const { workspaceId } = input;
  return mutate(core, actor, workspaceId, async (trx, record) => {
    const access = await authorize(core, actor, workspaceId, 'api-keys.own', trx);
    check.done();
    const row = await findApiKey(trx, workspaceId, apiKeyId);
    if (!row) throw notFound('API key');
    if (row.created_by !== actorId(actor)) assertGrants(access.role, 'manage');
    if (row.revoked_at !== null)
      throw badRequest('apiKeyId: this key is revoked', { apiKeyId: ['this key is revoked'] });
    if (input.version !== undefined && input.version !== Number(row.version))
      throw conflict('This API key was changed meanwhile; reload and try again');
    const limits = await checkLimits(core, trx, access, input, limitsOfRow(row), new InputCheck());
    const columns = { ...limitColumns(limits), name: name ?? row.name };
    const version = Number(row.version) + 1;
    await updateApiKeyRow(trx, row.id, Number(row.version), { ...columns, version });
    const view = toApiKeyView({ ...row, ...columns, version });
    await record({
      kind: 'api-key',
      action: 'api_key.update',
      targetType: 'api_key',
      targetId: row.id,
      details: { name: view.name, limits: view.limits },
    });
    return view;
  });
}

/**
 * The workspace's API keys (revoked ones included), without secrets, each with its limits and,
 * for a key with any limit, its use of the sliding minute and the month, judged as the gateway
 * judges it; any member may list them.
 */
export async function listApiKeys(core: Core, actor: Actor, input: WorkspaceRef): Promise<ApiKeyView[]> {
  await authorize(core, actor, input.workspaceId, 'read');
  const views = (await listApiKeyRows(core.db, input.workspaceId)).map(toApiKeyView);
  const usage = await readApiKeyUsage(
    core.db,
    views.filter((view) => view.usage !== null).map((view) => view.id),
    core.limitClock(),
  );
  for (const view of views) {
    if (view.usage !== null) view.usage = usage.get(view.id) ?? view.usage;
  }
  return views;
}

/**
 * Revokes an API key of the workspace; the gateway rejects it from then on. Owners and admins
 * revoke any key, editors the keys they created. Revoking twice is harmless.
 */
export async function revokeApiKey(
  core: Core,
  actor: Actor,
  input: WorkspaceRef & { apiKeyId: string },
): Promise<ApiKeyView> {
  const check = new InputCheck();
  const apiKeyId = check.required('apiKeyId', input.apiKeyId, 'API key');
  check.done();
  const { workspaceId } = input;
  return mutate(core, actor, workspaceId, async (trx, record) => {
    const access = await authorize(core, actor, workspaceId, 'api-keys.own', trx);
    const row = await findApiKey(trx, workspaceId, apiKeyId);
    if (!row) throw notFound('API key');
    if (row.created_by !== actorId(actor)) assertGrants(access.role, 'manage');
    if (row.revoked_at !== null) return toApiKeyView(row);
    const now = nowIso();
    await setApiKeyRevoked(trx, row.id, now);
    await record({
      kind: 'api-key',
      action: 'api_key.revoke',
      targetType: 'api_key',
      targetId: row.id,
      details: { name: row.name },
    });
    return toApiKeyView({ ...row, revoked_at: now });
  });
}
