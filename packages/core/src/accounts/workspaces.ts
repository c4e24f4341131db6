import { assertAdmin, type Membership, requireAdmin } from '../access.ts';
import { recordAudit } from '../audit.ts';
import type { Core } from '../core.ts';
import { conflict, notFound } from '../errors.ts';
import { newId, nowIso } from '../ids.ts';
import { publishChange } from './shared.ts';
import { findUserRowById } from './user-repository.ts';
import { InputCheck } from './validation.ts';
import { toWorkspaceView, type WorkspaceView } from './views.ts';
import {
  findWorkspaceRow,
  findWorkspaceRowsByName,
  insertMember,
  insertWorkspace,
  renameWorkspaceRow,
} from './workspace-repository.ts';

/** Creates a workspace with the user as its owner. */
export async function createWorkspace(core: Core, userId: string, name: string): Promise<WorkspaceView> {
  const check = new InputCheck();
  const workspaceName = check.name('name', name, 'Workspace name');
  check.done();
  const workspace = await core.db.transaction().execute(async (trx) => {
    if (!(await findUserRowById(trx, userId))) throw notFound('User');
    const now = nowIso();
    const row = await insertWorkspace(trx, {
      id: newId('ws'),
      name: workspaceName,
      created_at: now,
      updated_at: now,
    });
    const member = await insertMember(trx, {
      id: newId('mem'),
      workspace_id: row.id,
      user_id: userId,
      role: 'owner',
      created_at: now,
      updated_at: now,
    });
    const actor = { kind: 'user', userId } as const;
    await recordAudit(trx, {
      workspaceId: row.id,
      actor,
      action: 'workspace.create',
      targetType: 'workspace',
      targetId: row.id,
      details: { name: row.name },
    });
    await recordAudit(trx, {
      workspaceId: row.id,
      actor,
      action: 'member.add',
      targetType: 'member',
      targetId: member.id,
      details: { userId, role: 'owner' },
    });
    return toWorkspaceView(row);
  });
  publishChange(core, workspace.id, 'workspace', workspace.id, 'workspace.create');
  return workspace;
}

/** The member's workspace. */
export async function getWorkspace(core: Core, member: Membership): Promise<WorkspaceView> {
  const row = await findWorkspaceRow(core.db, member.workspaceId);
  if (!row) throw notFound('Workspace');
  return toWorkspaceView(row);
}

/** Renames a workspace (owner or admin); a stale `version` is a CONFLICT, so concurrent edits never overwrite silently. */
export async function renameWorkspace(
  core: Core,
  member: Membership,
  input: { name: string; version: number },
): Promise<WorkspaceView> {
  assertAdmin(member);
  const check = new InputCheck();
  const name = check.name('name', input.name, 'Workspace name');
  const version = check.version('version', input.version);
  check.done();
  const workspace = await core.db.transaction().execute(async (trx) => {
    await requireAdmin(trx, member.userId, member.workspaceId);
    const before = await findWorkspaceRow(trx, member.workspaceId);
    if (!before) throw notFound('Workspace');
    const row = await renameWorkspaceRow(trx, member.workspaceId, name, version, nowIso());
    if (!row) throw conflict('The workspace was changed by someone else; reload and try again');
    await recordAudit(trx, {
      workspaceId: row.id,
      actor: { kind: 'user', userId: member.userId },
      action: 'workspace.rename',
      targetType: 'workspace',
      targetId: row.id,
      details: { from: before.name, to: row.name },
    });
    return toWorkspaceView(row);
  });
  publishChange(core, workspace.id, 'workspace', workspace.id, 'workspace.rename');
  return workspace;
}

/**
 * A workspace by id or by exact name, for the CLI (an operator tool: no membership
 * check). A name shared by several workspaces is a CONFLICT asking for the id.
 */
export async function findWorkspace(core: Core, nameOrId: string): Promise<WorkspaceView | null> {
  const key = nameOrId.trim();
  if (!key) return null;
  const byId = await findWorkspaceRow(core.db, key);
  if (byId) return toWorkspaceView(byId);
  const byName = await findWorkspaceRowsByName(core.db, key);
  if (byName.length > 1)
    throw conflict(`${byName.length} workspaces are named "${key}"; use the workspace id instead`);
  return byName[0] ? toWorkspaceView(byName[0]) : null;
}
