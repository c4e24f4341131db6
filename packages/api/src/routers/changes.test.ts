import type { ChangeEvent, Core } from '@switchboard/core';
import { ENGINES } from '@switchboard/test-utils';
import { TRPCError } from '@trpc/server';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestCore } from '@switchboard/core/testing';
import { createInnerContext } from '../context.ts';
import { createCallerFactory, router } from '../trpc.ts';
import { changesRouter } from './changes.ts';

const createCaller = createCallerFactory(router({ changes: changesRouter }));

const change = (workspaceId: string, action: string): ChangeEvent => ({
  workspaceId,
  kind: 'model',
  id: 'mdl_1',
  action,
  at: new Date().toISOString(),
});

async function addUser(core: Core, id: string): Promise<void> {
  const now = new Date().toISOString();
  await core.db
    .insertInto('users')
    .values({
      id,
      email: `${id}@example.test`,
      name: id,
      password_hash: 'unused',
      created_at: now,
      updated_at: now,
    })
    .execute();
}

async function addWorkspace(
  core: Core,
  id: string,
  members: Record<string, 'owner' | 'admin' | 'editor' | 'member'>,
) {
  const now = new Date().toISOString();
  await core.db.insertInto('workspaces').values({ id, name: id, created_at: now, updated_at: now }).execute();
  for (const [userId, role] of Object.entries(members)) {
    await core.db
      .insertInto('workspace_members')
      .values({
        id: `mem_${id}_${userId}`,
        workspace_id: id,
        user_id: userId,
        role,
        created_at: now,
        updated_at: now,
      })
      .execute();
  }
}

const callerFor = (core: Core, userId: string, signal?: AbortSignal) =>
  createCaller(createInnerContext({ core, auth: { userId, via: 'token' } }), signal ? { signal } : {});

describe.each(ENGINES)('changes.subscribe on %s', (engine) => {
  let core: Core;
  beforeEach(async () => {
    core = await createTestCore(engine);
    for (const user of ['usr_admin', 'usr_member', 'usr_outsider']) await addUser(core, user);
    await addWorkspace(core, 'ws_acme', { usr_admin: 'owner', usr_member: 'member' });
    await addWorkspace(core, 'ws_other', { usr_admin: 'owner', usr_outsider: 'owner' });
  });
  afterEach(async () => {
    await core.close();
  });

  it('yields the changes of the workspace asked for, and only those', async () => {
    const controller = new AbortController();
    const events = await callerFor(core, 'usr_member', controller.signal).changes.subscribe({
      workspaceId: 'ws_acme',
    });
    const iterator = events[Symbol.asyncIterator]();

    core.changes.publish(change('ws_other', 'model.add'));
    core.changes.publish(change('ws_acme', 'model.enable'));
    core.changes.publish(change('ws_other', 'model.remove'));
    core.changes.publish(change('ws_acme', 'model.disable'));

    const first = await iterator.next();
    const second = await iterator.next();
    expect(first.value).toMatchObject({
      workspaceId: 'ws_acme',
      kind: 'model',
      id: 'mdl_1',
      action: 'model.enable',
    });
    expect(second.value).toMatchObject({ workspaceId: 'ws_acme', action: 'model.disable' });

    controller.abort();
    expect((await iterator.next()).done).toBe(true);
  });

  it('passes a resync notice on with the subscriber’s workspace', async () => {
    const controller = new AbortController();
    const events = await callerFor(core, 'usr_admin', controller.signal).changes.subscribe({
      workspaceId: 'ws_other',
    });
    const iterator = events[Symbol.asyncIterator]();
    core.changes.deliver({
      workspaceId: '*',
      kind: 'workspace',
      id: null,
      action: 'changes.resync',
      at: new Date().toISOString(),
    });
    expect((await iterator.next()).value).toMatchObject({
      workspaceId: 'ws_other',
      action: 'changes.resync',
    });
    controller.abort();
    expect((await iterator.next()).done).toBe(true);
  });

  it('ends the stream of someone removed from the workspace', async () => {
    const controller = new AbortController();
    const events = await callerFor(core, 'usr_member', controller.signal).changes.subscribe({
      workspaceId: 'ws_acme',
    });
    const iterator = events[Symbol.asyncIterator]();
    core.changes.publish({ ...change('ws_acme', 'member.role_change'), kind: 'member' });
    expect((await iterator.next()).value).toMatchObject({ action: 'member.role_change' });

    await core.db.deleteFrom('workspace_members').where('user_id', '=', 'usr_member').execute();
    core.changes.publish({ ...change('ws_acme', 'member.remove'), kind: 'member' });
    core.changes.publish(change('ws_acme', 'model.enable'));
    expect((await iterator.next()).done).toBe(true);
    controller.abort();
  });

  it('hides a workspace from a non-member (NOT_FOUND, as for one that does not exist)', async () => {
    for (const workspaceId of ['ws_acme', 'ws_missing']) {
      const error = await callerFor(core, 'usr_outsider')
        .changes.subscribe({ workspaceId })
        .then(
          () => null,
          (caught: unknown) => caught,
        );
      expect(error).toBeInstanceOf(TRPCError);
      expect((error as TRPCError).code).toBe('NOT_FOUND');
    }
  });

  it('refuses an anonymous caller', async () => {
    const caller = createCaller(createInnerContext({ core }));
    await expect(caller.changes.subscribe({ workspaceId: 'ws_acme' })).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
  });
});

describe('changes.subscribe over SSE', () => {
  it('streams the workspace’s changes as server-sent events', async () => {
    const core = await createTestCore('sqlite');
    try {
      await addUser(core, 'usr_admin');
      await addWorkspace(core, 'ws_acme', { usr_admin: 'owner' });
      const appRouter = router({ changes: changesRouter });
      const controller = new AbortController();
      const input = encodeURIComponent(JSON.stringify({ workspaceId: 'ws_acme' }));
      const response = await fetchRequestHandler({
        endpoint: '/trpc',
        router: appRouter,
        req: new Request(`http://127.0.0.1/trpc/changes.subscribe?input=${input}`, {
          signal: controller.signal,
        }),
        createContext: () => createInnerContext({ core, auth: { userId: 'usr_admin', via: 'token' } }),
      });
      expect(response.headers.get('content-type')).toContain('text/event-stream');
      const reader = (response.body as ReadableStream<Uint8Array>)
        .pipeThrough(new TextDecoderStream())
        .getReader();

      let text = '';
      const readUntil = async (needle: string) => {
        while (!text.includes(needle)) {
          const { value, done } = await reader.read();
          if (done) throw new Error('stream ended early');
          text += value;
        }
      };
      await readUntil('connected');
      core.changes.publish(change('ws_other', 'model.add'));
      core.changes.publish(change('ws_acme', 'model.enable'));
      await readUntil('model.enable');
      const data = text
        .split('\n')
        .filter((line) => line.startsWith('data: ') && line.includes('"action"'))
        .map((line) => JSON.parse(line.slice('data: '.length)));
      expect(data).toEqual([
        expect.objectContaining({ workspaceId: 'ws_acme', action: 'model.enable', kind: 'model' }),
      ]);
      controller.abort();
      await reader.cancel().catch(() => undefined);
    } finally {
      await core.close();
    }
  });
});
