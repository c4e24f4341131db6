import { type Actor, actorId, assertGrants } from '../access.ts';
import type { Core } from '../core.ts';
import { notFound } from '../errors.ts';
import { newId, nowIso } from '../ids.ts';
import { authorize, type WorkspaceRef } from '../service/authorize.ts';
import { InputCheck } from '../service/input.ts';
import { mutate } from '../service/mutate.ts';
import { newSecret } from './secrets.ts';
import { findApiKey, insertApiKey, listApiKeyRows, setApiKeyRevoked } from './token-repository.ts';
import { type ApiKeyView, toApiKeyView } from './views.ts';

/**
 * Creates a workspace API key for `/v1`; `key` is the only time the secret is shown. Editors,
 * admins and owners may create keys for their apps; the CLI (`{ kind: 'system', label: 'cli' }`)
 * may too.
 */
export async function createApiKey(
  core: Core,
  actor: Actor,
  input: WorkspaceRef & { name: string },
): Promise<{ key: string; view: ApiKeyView }> {
  const check = new InputCheck();
  const name = check.name('name', input.name, 'API key name');
  check.done();
  const { workspaceId } = input;
  return mutate(core, actor, workspaceId, async (trx, record) => {
    await authorize(core, actor, workspaceId, 'api-keys.own', trx);
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
    };
    await insertApiKey(trx, row);
    const view = toApiKeyView(row);
    await record({
      kind: 'api-key',
      action: 'api_key.create',
      targetType: 'api_key',
      targetId: row.id,
      details: { name: view.name, prefix: view.prefix },
    });
    return { key: secret.secret, view };
  });
}

/** The workspace's API keys (revoked ones included), without secrets; any member may list them. */
export async function listApiKeys(core: Core, actor: Actor, input: WorkspaceRef): Promise<ApiKeyView[]> {
  await authorize(core, actor, input.workspaceId, 'read');
  return (await listApiKeyRows(core.db, input.workspaceId)).map(toApiKeyView);
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
