import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENGINES } from '@switchboard/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestCore } from '../../test/test-core.ts';
import type { Core } from '../core.ts';
import { addWorkspace, usageCall as call } from '../../test/usage-kit.ts';
import { UsageRecorder } from './usage.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function coreWithWorkspace(engine: (typeof ENGINES)[number]) {
  const core = await createTestCore(engine);
  cleanups.push(() => core.close());
  return { core, workspaceId: await addWorkspace(core) };
}

async function storedCalls(core: Core): Promise<number[]> {
  const rows = await core.db.selectFrom('usage_events').select('tokens_in').orderBy('tokens_in').execute();
  return rows.map((row) => Number(row.tokens_in));
}

const journalDir = (core: Core) => join(core.dataDir, 'usage-journal');
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe.each(ENGINES)('usage journal on %s', (engine) => {
  it('replays what a recorder that never flushed left, exactly once', async () => {
    const { core, workspaceId } = await coreWithWorkspace(engine);
    // The "crashed" recorder: never flushed, never closed; only its journal survives.
    const crashed = new UsageRecorder(core, { intervalMs: 60_000, batchSize: 10_000 });
    for (let index = 1; index <= 25; index++) crashed.record(call(workspaceId, index));
    await turn();
    expect(readdirSync(journalDir(core))).toHaveLength(1);

    const next = new UsageRecorder(core, { intervalMs: 60_000 });
    await next.replay();
    expect(await storedCalls(core)).toEqual(Array.from({ length: 25 }, (_, index) => index + 1));
    expect(readdirSync(journalDir(core))).toEqual([]);
    // The same rows written again (a flush that raced the crash) are skipped by id.
    await crashed.close();
    await next.close();
    expect(await storedCalls(core)).toHaveLength(25);
  });

  it('lets an answer go only once its record is written, one write for a turn of records', async () => {
    const { core, workspaceId } = await coreWithWorkspace(engine);
    const recorder = new UsageRecorder(core, { intervalMs: 60_000, batchSize: 10_000 });
    cleanups.push(() => recorder.close());
    const lines = () =>
      readdirSync(journalDir(core)).flatMap((segment) =>
        readFileSync(join(journalDir(core), segment), 'utf8')
          .split('\n')
          .filter(Boolean),
      );
    // Nothing waits: the answer goes at once.
    let sent = 0;
    recorder.afterJournal(() => sent++);
    expect(sent).toBe(1);
    const seen: number[] = [];
    for (let index = 1; index <= 3; index++) {
      recorder.record(call(workspaceId, index));
      recorder.afterJournal(() => seen.push(lines().length));
    }
    expect(seen).toEqual([]);
    await turn();
    // Each answer saw every line of its turn already written.
    expect(seen).toEqual([3, 3, 3]);
  });

  it('empties its journal as batches reach the database', async () => {
    const { core, workspaceId } = await coreWithWorkspace(engine);
    const recorder = new UsageRecorder(core, { intervalMs: 60_000, batchSize: 10_000 });
    cleanups.push(() => recorder.close());
    recorder.record(call(workspaceId, 1));
    await turn();
    const [segment] = readdirSync(journalDir(core));
    expect(readFileSync(join(journalDir(core), segment ?? ''), 'utf8')).toContain('"usr_x"');
    recorder.record(call(workspaceId, 2));
    await recorder.flush();
    expect(readdirSync(journalDir(core))).toEqual([]);
    recorder.record(call(workspaceId, 3));
    await recorder.flush();
    expect(await storedCalls(core)).toEqual([1, 2, 3]);
    expect(readdirSync(journalDir(core))).toEqual([]);
  });

  it('skips unreadable lines, reporting them, and leaves journals of live processes alone', async () => {
    const { core, workspaceId } = await coreWithWorkspace(engine);
    const crashed = new UsageRecorder(core, { intervalMs: 60_000, batchSize: 10_000 });
    crashed.record(call(workspaceId, 7));
    await turn();
    const [segment] = readdirSync(journalDir(core));
    const file = join(journalDir(core), segment ?? '');
    // A torn last line (a power cut mid-write) and a line that is not a usage row.
    writeFileSync(file, `${readFileSync(file, 'utf8')}["use_x", 1]\n["use_torn", "ws`, { flag: 'w' });
    // The parent of this test process is alive: its journal is its own to write.
    const live = join(journalDir(core), `${process.ppid}-livelive-0.jsonl`);
    writeFileSync(live, '', { mode: 0o600 });

    const errors: unknown[] = [];
    const next = new UsageRecorder(core, { intervalMs: 60_000, onError: (error) => errors.push(error) });
    await next.replay();
    expect(await storedCalls(core)).toEqual([7]);
    expect(String(errors[0])).toMatch(/2 unreadable line\(s\) skipped/);
    expect(existsSync(file)).toBe(false);
    expect(existsSync(live)).toBe(true);
    await next.close();
    await crashed.close();
  });
});
