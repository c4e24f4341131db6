import { type Actor, type Membership, requireAdmin } from '../access.ts';
import { recordAudit } from '../audit.ts';
import type { Core } from '../core.ts';
import { notFound } from '../errors.ts';
import { newId, nowIso } from '../ids.ts';
import { newSecret } from './secrets.ts';
import { publishChange } from './shared.ts';
import { findApiKey, insertApiKey, listApiKeyRows, setApiKeyRevoked } from './token-repository.ts';
import { InputCheck } from './validation.ts';
import { type ApiKeyView, toApiKeyView } from './views.ts';
import { findWorkspaceRow } from './workspace-repository.ts';

/**
 * Creates a workspace API key; `key` is the only time the secret is shown. The actor
 * is a user who must be owner or admin, or the CLI (`{ kind: 'system', label: 'cli' }`).
 */
export async function createApiKey(
  core: Core,
  actor: Actor,
  workspaceId: string,
  name: string,
): Promise<{ key: string; view: ApiKeyView }> {
  const check = new InputCheck();
  const keyName = check.name('name', name, 'API key name');
  check.done();
  const result = await core.db.transaction().execute(async (trx) => {
    if (actor.kind === 'user') await requireAdmin(trx, actor.userId, workspaceId);
    else if (!(await findWorkspaceRow(trx, workspaceId))) throw notFound('Workspace');
    const secret = newSecret('sbk_');
    const row = {
      id: newId('key'),
      workspace_id: workspaceId,
      name: keyName,
      token_hash: secret.hash,
      token_prefix: secret.prefix,
      created_by: actor.kind === 'user' ? actor.userId : `system:${actor.label}`,
      created_at: nowIso(),
      last_used_at: null,
      revoked_at: null,
    };
    await insertApiKey(trx, row);
    const view = toApiKeyView(row);
    await recordAudit(trx, {
      workspaceId,
      actor,
      action: 'api_key.create',
      targetType: 'api_key',
      targetId: row.id,
      details: { name: view.name, prefix: view.prefix },
    });
    return { key: secret.secret, view };
  });
  publishChange(core, workspaceId, 'api-key', result.view.id, 'api_key.create');
  return result;
}

/** The workspace's API keys (revoked ones included), without secrets; any member may list them. */
export async function listApiKeys(core: Core, member: Membership): Promise<ApiKeyView[]> {
  return (await listApiKeyRows(core.db, member.workspaceId)).map(toApiKeyView);
}

/** Revokes an API key of the workspace (owner or admin); the gateway rejects it from then on. */
export async function revokeApiKey(core: Core, admin: Membership, apiKeyId: string): Promise<ApiKeyView> {
  const { view, changed } = await core.db.transaction().execute(async (trx) => {
    await requireAdmin(trx, admin.userId, admin.workspaceId);
    const row = await findApiKey(trx, admin.workspaceId, apiKeyId);
    if (!row) throw notFound('API key');
    if (row.revoked_at !== null) return { view: toApiKeyView(row), changed: false };
    const now = nowIso();
    await setApiKeyRevoked(trx, row.id, now);
    await recordAudit(trx, {
      workspaceId: admin.workspaceId,
      actor: { kind: 'user', userId: admin.userId },
      action: 'api_key.revoke',
      targetType: 'api_key',
      targetId: row.id,
      details: { name: row.name },
    });
    return { view: toApiKeyView({ ...row, revoked_at: now }), changed: true };
  });
  if (changed) publishChange(core, admin.workspaceId, 'api-key', view.id, 'api_key.revoke');
  return view;
}
