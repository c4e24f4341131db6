import { type Actor, assertScope } from '../access.ts';
import type { Core } from '../core.ts';
import { conflict, forbidden, notFound } from '../errors.ts';
import { newId, nowIso } from '../ids.ts';
import { authorize, type WorkspaceRef } from '../service/authorize.ts';
import { InputCheck } from '../service/input.ts';
import { mutate } from '../service/mutate.ts';
import { findUserRowById } from './user-repository.ts';
import { toWorkspaceView, type WorkspaceView } from './views.ts';
import {
  findWorkspaceRow,
  findWorkspaceRowsByName,
  insertMember,
  insertWorkspace,
  renameWorkspaceRow,
} from './workspace-repository.ts';

/** Creates a workspace with the signed-in user as its owner. */
export async function createWorkspace(
  core: Core,
  actor: Actor,
  input: { name: string },
): Promise<WorkspaceView> {
  const check = new InputCheck();
  const name = check.name('name', input.name, 'Workspace name');
  check.done();
  if (actor.kind !== 'user') throw forbidden('A workspace is created by the user who will own it');
  // Owning a workspace is more than any scope short of `manage`.
  assertScope(actor, 'manage');
  const workspaceId = newId('ws');
  return mutate(core, actor, workspaceId, async (trx, record) => {
    if (!(await findUserRowById(trx, actor.userId))) throw notFound('User');
    const now = nowIso();
    const row = await insertWorkspace(trx, { id: workspaceId, name, created_at: now, updated_at: now });
    const member = await insertMember(trx, {
      id: newId('mem'),
      workspace_id: row.id,
      user_id: actor.userId,
      role: 'owner',
      created_at: now,
      updated_at: now,
    });
    await record({
      kind: 'workspace',
      action: 'workspace.create',
      targetType: 'workspace',
      targetId: row.id,
      details: { name: row.name },
    });
    await record({
      kind: 'member',
      action: 'member.add',
      targetType: 'member',
      targetId: member.id,
      details: { userId: actor.userId, role: 'owner' },
    });
    return toWorkspaceView(row);
  });
}

/** One workspace (members only; anyone else gets NOT_FOUND). */
export async function getWorkspace(core: Core, actor: Actor, input: WorkspaceRef): Promise<WorkspaceView> {
  await authorize(core, actor, input.workspaceId, 'read');
  const row = await findWorkspaceRow(core.db, input.workspaceId);
  if (!row) throw notFound('Workspace');
  return toWorkspaceView(row);
}

/** Renames a workspace (owner or admin); a stale `version` is a CONFLICT, so concurrent edits never overwrite silently. */
export async function renameWorkspace(
  core: Core,
  actor: Actor,
  input: WorkspaceRef & { name: string; version: number },
): Promise<WorkspaceView> {
  const check = new InputCheck();
  const name = check.name('name', input.name, 'Workspace name');
  const version = check.version('version', input.version);
  check.done();
  const { workspaceId } = input;
  return mutate(core, actor, workspaceId, async (trx, record) => {
    await authorize(core, actor, workspaceId, 'manage', trx);
    const before = await findWorkspaceRow(trx, workspaceId);
    if (!before) throw notFound('Workspace');
    const row = await renameWorkspaceRow(trx, workspaceId, name, version, nowIso());
    if (!row) throw conflict('The workspace was changed by someone else; reload and try again');
    await record({
      kind: 'workspace',
      action: 'workspace.rename',
      targetType: 'workspace',
      targetId: row.id,
      details: { from: before.name, to: row.name },
    });
    return toWorkspaceView(row);
  });
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
