import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { ENGINES } from '@switchboard/test-utils';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestCoreOn, createTestCoreWithTarget } from '../../test/test-core.ts';
import type { ChangeEvent } from '../changes.ts';
import type { Core } from '../core.ts';
import { installProvider } from '../provider-management/catalog.ts';
import { createTestWorkspace, realAdapters } from '../../test/provider-kit.ts';
import { openChangeFeed, startChangeFeed } from './feed.ts';
import { listenerName } from './postgres-transport.ts';
import { isResync } from './transport.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Resolves once `predicate` holds, checking every 20 ms; fails after a generous limit (no duration is asserted). */
async function eventually(predicate: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > limitMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function recorder(core: Core): ChangeEvent[] {
  const seen: ChangeEvent[] = [];
  cleanups.push(core.changes.subscribe((event) => seen.push(event)));
  return seen;
}

const change = (workspaceId: string, action: string, id: string | null = 'crd_1'): ChangeEvent => ({
  workspaceId,
  kind: 'credential',
  id,
  action,
  at: new Date().toISOString(),
});

async function twoCores(engine: (typeof ENGINES)[number]) {
  const providers = await realAdapters();
  const { core: first, target } = await createTestCoreWithTarget(engine, { file: true, providers });
  const second = await createTestCoreOn(target, { providers });
  cleanups.push(async () => {
    await first.close();
    await second.close();
    if (target.engine === 'sqlite') rmSync(dirname(target.filename), { recursive: true, force: true });
  });
  return { first, second, target };
}

describe.each(ENGINES)('change feed on %s', (engine) => {
  it('delivers each instance’s events to the other, once, and not back to itself', async () => {
    const { first, second } = await twoCores(engine);
    const stopFirst = await startChangeFeed(first, { pollIntervalMs: 20 });
    const stopSecond = await startChangeFeed(second, { pollIntervalMs: 20 });
    cleanups.push(stopFirst, stopSecond);
    const seenByFirst = recorder(first);
    const seenBySecond = recorder(second);

    first.changes.publish(change('ws_a', 'credential.activate'));
    await eventually(() => seenBySecond.length === 1, 'the second instance to hear the first');
    expect(seenBySecond[0]).toMatchObject({
      workspaceId: 'ws_a',
      kind: 'credential',
      id: 'crd_1',
      action: 'credential.activate',
    });

    second.changes.publish(change('ws_b', 'credential.remove', null));
    await eventually(() => seenByFirst.length === 2, 'the first instance to hear the second');
    expect(seenByFirst.map((event) => event.action)).toEqual(['credential.activate', 'credential.remove']);
    expect(seenByFirst[1]).toMatchObject({ workspaceId: 'ws_b', id: null });

    // Give stray duplicates a chance to show up before checking that there are none.
    first.changes.publish(change('ws_a', 'credential.update'));
    await eventually(() => seenBySecond.length === 3, 'the third event');
    expect(seenBySecond.map((event) => event.action)).toEqual([
      'credential.activate',
      'credential.remove',
      'credential.update',
    ]);
    expect(seenByFirst.map((event) => event.action)).toEqual([
      'credential.activate',
      'credential.remove',
      'credential.update',
    ]);
  });

  it('tells one instance about a change another made through a service', async () => {
    const { first, second } = await twoCores(engine);
    const stopFirst = await startChangeFeed(first, { pollIntervalMs: 20 });
    const stopSecond = await startChangeFeed(second, { pollIntervalMs: 20 });
    cleanups.push(stopFirst, stopSecond);
    const seenByFirst = recorder(first);
    const workspace = await createTestWorkspace(second);

    await installProvider(second, workspace.admin, {
      workspaceId: workspace.workspaceId,
      provider: 'ollama',
    });
    await eventually(() => seenByFirst.length === 1, 'the first instance to hear the install');
    expect(seenByFirst[0]).toMatchObject({
      workspaceId: workspace.workspaceId,
      kind: 'provider',
      id: 'ollama',
      action: 'provider.install',
    });
  });

  it('delivers events published just before a short-lived process stops (the CLI case)', async () => {
    const { first, second } = await twoCores(engine);
    const stopServer = await startChangeFeed(first, { pollIntervalMs: 20 });
    cleanups.push(stopServer);
    const seenByServer = recorder(first);

    const stopCli = await startChangeFeed(second);
    second.changes.publish(change('ws_a', 'default.set', 'llm'));
    second.changes.publish(change('ws_a', 'model.add', 'mdl_1'));
    await stopCli();

    await eventually(() => seenByServer.length === 2, 'the server to hear the CLI');
    expect(seenByServer.map((event) => event.action)).toEqual(['default.set', 'model.add']);
  });

  it('sends nothing once stopped', async () => {
    const { first, second, target } = await twoCores(engine);
    const third = await createTestCoreOn(target);
    cleanups.push(() => third.close());
    const stopFirst = await startChangeFeed(first, { pollIntervalMs: 20 });
    const stopSecond = await startChangeFeed(second, { pollIntervalMs: 20 });
    const stopThird = await startChangeFeed(third, { pollIntervalMs: 20 });
    cleanups.push(stopSecond, stopThird);
    const seenBySecond = recorder(second);
    await stopFirst();
    await stopFirst();

    first.changes.publish(change('ws_a', 'after.stop'));
    // Sent after the stray event would have been: once it has arrived, the stray one would have too.
    third.changes.publish(change('ws_a', 'marker'));
    await eventually(() => seenBySecond.some((event) => event.action === 'marker'), 'the marker');
    expect(seenBySecond.map((event) => event.action)).toEqual(['marker']);
  });
});

describe('change feed on sqlite', () => {
  it('keeps the outbox small: old rows are pruned, the newest row stays', async () => {
    const { first } = await twoCores('sqlite');
    const old = new Date(Date.now() - 3_600_000).toISOString();
    for (const seq of [1, 2, 3]) {
      await first.db
        .insertInto('changes')
        .values({
          workspace_id: 'ws_a',
          kind: 'model',
          record_id: null,
          action: `old.${seq}`,
          at: old,
          origin: 'ins_gone',
        })
        .execute();
    }
    const feed = await openChangeFeed(first, { pollIntervalMs: 20, retentionMs: 60_000 });
    cleanups.push(() => feed.stop());
    const remaining = async () =>
      first.db.selectFrom('changes').select(['seq', 'action']).orderBy('seq').execute();
    let rows = await remaining();
    while (rows.length > 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      rows = await remaining();
    }
    expect(rows).toEqual([{ seq: 3, action: 'old.3' }]);

    first.changes.publish(change('ws_a', 'fresh'));
    await feed.stop();
    expect((await remaining()).map((row) => row.seq)).toEqual([3, 4]);
  });
});

describe('change feed on postgres', () => {
  it('reconnects when its LISTEN connection is cut, tells listeners to resync, and hears again', async () => {
    const { first, second, target } = await twoCores('postgres');
    if (target.engine !== 'postgres') throw new Error('expected postgres');
    const secondFeed = await openChangeFeed(second, { reconnectDelayMs: 20 });
    const stopFirst = await startChangeFeed(first);
    cleanups.push(stopFirst, () => secondFeed.stop());
    const seenBySecond = recorder(second);

    const admin = new pg.Client({ connectionString: target.connectionString });
    await admin.connect();
    cleanups.push(() => admin.end());
    const cut = await admin.query(
      'select pg_terminate_backend(pid) as cut from pg_stat_activity where application_name = $1',
      [listenerName(secondFeed.origin)],
    );
    expect(cut.rowCount).toBe(1);

    await eventually(() => seenBySecond.some(isResync), 'the resync notice after reconnecting');
    first.changes.publish(change('ws_a', 'after.reconnect'));
    await eventually(
      () => seenBySecond.some((event) => event.action === 'after.reconnect'),
      'an event after reconnecting',
    );
  });

  it('does not hear instances of another schema on the same server', async () => {
    const { first, second: sameSchema } = await twoCores('postgres');
    const { first: elsewhere } = await twoCores('postgres');
    const stopFirst = await startChangeFeed(first);
    const stopElsewhere = await startChangeFeed(elsewhere);
    const stopSame = await startChangeFeed(sameSchema);
    cleanups.push(stopFirst, stopElsewhere, stopSame);
    const seenElsewhere = recorder(elsewhere);
    const seenSameSchema = recorder(sameSchema);

    first.changes.publish(change('ws_a', 'here.only'));
    await eventually(() => seenSameSchema.length === 1, 'the instance on the same schema');
    expect(seenElsewhere).toEqual([]);
  });
});
