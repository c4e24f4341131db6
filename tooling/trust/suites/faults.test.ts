import { type ChildProcess, spawn } from 'node:child_process';
import { createSwitchboardClient } from '@switchboard/client';
import { openDatabase } from '@switchboard/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Processes, type ServerProcess } from '../../../apps/server/test/processes.ts';
import { type CallResult, chatCall, inParallel, tally } from '../src/fault-calls.ts';
import { type PrivatePostgres, startPrivatePostgres } from '../src/fault-postgres.ts';
import { type FaultUpstream, startFaultUpstream } from '../src/fault-upstream.ts';
import { prepareWorld, type World } from '../src/fault-world.ts';
import { recordTrust, type TrustRow } from '../src/summary.ts';

// Suite 4 (issue 13): faults. Upstreams that reset, stall, answer garbage and flood 429s; a
// SQLite writer in another process; PostgreSQL restarted under traffic; SIGKILL during writes,
// usage and master-key rotation with two servers. Real server processes throughout.
const processes = new Processes();
const rows: TrustRow[] = [];
const coreRoot = new URL('../../../packages/core/', import.meta.url).pathname;
let upstream: FaultUpstream;
let postgres: PrivatePostgres;

beforeAll(async () => {
  upstream = await startFaultUpstream();
  postgres = await startPrivatePostgres();
});
afterEach(() => processes.killAll());
afterAll(async () => {
  recordTrust('faults', rows);
  await upstream?.close();
  postgres?.stop();
});

const serverOf = (world: World, extra: Record<string, string> = {}) =>
  processes.server(processes.env(world.dataDir, { DATABASE_URL: world.databaseUrl, ...extra }));

const describeBad = (results: readonly CallResult[]) =>
  results
    .filter((result) => result.outcome === 'bad')
    .slice(0, 3)
    .map((result) => `${result.status} ${result.detail}`)
    .join(' | ');

describe('faults', () => {
  it('answers cleanly through upstream resets, stalls, garbage and 429 floods, fails over, and recovers', async () => {
    const world = await prepareWorld({
      baseUrl: upstream.baseUrl,
      chatKeys: ['ok', 'reset', 'garbage', 'flood429', 'stall'],
    });
    const server = await serverOf(world);
    const before = { ...upstream.calls };
    const results = await inParallel(60, 6, (index) =>
      chatCall(server.url, world.apiKey, `fault-${index}`, { stream: index % 3 === 0, timeoutMs: 3_000 }),
    );
    const counts = tally(results);
    expect(counts.bad, describeBad(results)).toBe(0);
    // Every faulty key was met, and the healthy one carried the calls the others dropped.
    for (const mode of ['reset', 'garbage', 'flood429', 'stall', 'ok'] as const)
      expect(upstream.calls[mode] - before[mode], mode).toBeGreaterThan(0);
    expect(counts.ok).toBeGreaterThan(results.length / 2);
    // A caller that gave up on a stalled key took the upstream call with it.
    await expect.poll(() => upstream.abandoned(), { timeout: 10_000 }).toBeGreaterThanOrEqual(counts.aborted);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

    // The operator points the bad keys at a working upstream: every call succeeds again, no rest left over.
    const client = createSwitchboardClient({ url: server.url, token: world.token });
    for (const credentialId of world.chatCredentialIds.slice(1)) {
      await client.credentials.update.mutate({
        workspaceId: world.workspaceId,
        credentialId,
        values: { base_url: upstream.baseUrl('ok'), api_key: 'sk-test-fake-trust-repaired' },
      });
    }
    const recovered = await inParallel(30, 6, (index) =>
      chatCall(server.url, world.apiKey, `recovered-${index}`, {
        stream: index % 2 === 0,
        timeoutMs: 10_000,
      }),
    );
    expect(tally(recovered), describeBad(recovered)).toEqual({
      ok: 30,
      'clean-error': 0,
      aborted: 0,
      bad: 0,
    });
    rows.push({
      check: 'upstream faults (reset, stall, garbage, 429 flood) over 5 keys',
      tried: results.length + recovered.length,
      result: `${counts.ok} served by failover, ${counts['clean-error']} clean errors, ${counts.aborted} stalls given up, 0 bad; 30/30 after repair`,
    });
  });

  it('queues writes behind another process holding the SQLite write lock', async () => {
    const world = await prepareWorld({ baseUrl: upstream.baseUrl, chatKeys: ['ok'] });
    const server = await serverOf(world);
    const client = createSwitchboardClient({ url: server.url, token: world.token });
    const holder = holdWriteLock(world.database.engine === 'sqlite' ? world.database.filename : '', 1_500);
    await holder.locked;
    // Writes through the server while the lock is held: each waits for it, none fails.
    const writes = await inParallel(8, 4, async (index) =>
      client.credentials.create.mutate({
        workspaceId: world.workspaceId,
        provider: 'openai-compatible',
        model: { name: 'trust-model', type: 'llm' },
        name: `busy ${index}`,
        values: { base_url: upstream.baseUrl('ok'), api_key: `sk-test-fake-busy-${index}` },
      }),
    );
    expect(await holder.exit).toBe(0);
    const calls = await inParallel(10, 5, (index) => chatCall(server.url, world.apiKey, `busy-${index}`));
    expect(tally(calls).ok).toBe(10);
    const names = (
      await client.credentials.list.query({
        workspaceId: world.workspaceId,
        provider: 'openai-compatible',
        model: { name: 'trust-model', type: 'llm' },
      })
    ).map((credential) => credential.name);
    for (const write of writes) expect(names).toContain(write.name);
    rows.push({
      check: 'SQLite busy (another process holds the write lock 1.5 s)',
      tried: writes.length,
      result: '0 failed writes',
    });
  });

  it('resumes by itself after PostgreSQL restarts under traffic', async () => {
    const world = await prepareWorld({
      baseUrl: upstream.baseUrl,
      chatKeys: ['ok'],
      databaseUrl: await postgres.createDatabase(),
    });
    const server = await serverOf(world);
    const client = createSwitchboardClient({ url: server.url, token: world.token });
    let stop = false;
    let sent = 0;
    const failures: string[] = [];
    const traffic = Array.from({ length: 4 }, async (_, lane) => {
      while (!stop) {
        const number = sent++;
        const result =
          lane === 0
            ? await client.workspaces.byId.query({ workspaceId: world.workspaceId }).then(
                () => 'ok',
                (error: unknown) => `trpc ${String(error)}`,
              )
            : await chatCall(server.url, world.apiKey, `pg-${number}`, { timeoutMs: 10_000 }).then((call) =>
                call.outcome === 'bad' ? `bad ${call.status} ${call.detail}` : call.outcome,
              );
        if (result !== 'ok') failures.push(result);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await postgres.restart();
    await postgres.restart();
    let lastError = '';
    // The server was not restarted: management writes work again on their own.
    await expect
      .poll(
        () =>
          client.credentials.create
            .mutate({
              workspaceId: world.workspaceId,
              provider: 'openai-compatible',
              model: { name: 'trust-model', type: 'llm' },
              name: `after restart ${Date.now()}`,
              values: { base_url: upstream.baseUrl('ok'), api_key: 'sk-test-fake-after-restart' },
            })
            .then(
              () => true,
              (error: unknown) => {
                lastError = String(error);
                return false;
              },
            ),
        {
          timeout: 30_000,
          interval: 500,
          message: `still failing: ${lastError} ${server.logs().slice(-1500)}`,
        },
      )
      .toBe(true);
    stop = true;
    await Promise.all(traffic);
    const after = await inParallel(10, 5, (index) => chatCall(server.url, world.apiKey, `pg-after-${index}`));
    expect(tally(after).ok).toBe(10);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    // While the database is away the gateway may not know a key or a model: a JSON error (503
    // service_unavailable with Retry-After) is clean; a 500, a cut connection, a hang or a wrong
    // answer is not.
    expect(failures.filter((failure) => failure.startsWith('bad'))).toEqual([]);
    rows.push({
      check: 'PostgreSQL restarted twice under traffic',
      tried: sent,
      result: `${failures.length} refused cleanly during the restarts, 0 cut, wrong or 500; resumed without a server restart`,
    });
  });

  it('keeps every acknowledged write and secret through SIGKILLs of two servers during writes, usage and rotation', async () => {
    const world = await prepareWorld({ baseUrl: upstream.baseUrl, chatKeys: ['ok'] });
    const env = processes.env(world.dataDir);
    const servers: ServerProcess[] = [await processes.server(env), await processes.server(env)];
    const credentials: { name: string; secret: string }[] = [];
    let acknowledgedCalls = 0;
    let sent = 0;
    let rotations = 0;
    const rotationFailures: string[] = [];
    for (let round = 0; round < 2; round++) {
      let stop = false;
      const lane = async (index: number) => {
        while (!stop) {
          const server = servers[index % 2] as ServerProcess;
          const number = sent++;
          if (index < 2) {
            const name = `kill ${round}-${number}`;
            const secret = `sk-test-fake-kill-${round}-${number}`;
            await createSwitchboardClient({ url: server.url, token: world.token })
              .credentials.create.mutate({
                workspaceId: world.workspaceId,
                provider: 'openai-compatible',
                model: { name: 'trust-model', type: 'llm' },
                name,
                values: { base_url: upstream.baseUrl('ok'), api_key: secret },
              })
              .then(
                () => credentials.push({ name, secret }),
                () => undefined,
              );
          } else if (
            (await chatCall(server.url, world.apiKey, `kill-${number}`, { timeoutMs: 5_000 })).outcome ===
            'ok'
          )
            acknowledgedCalls++;
        }
      };
      const lanes = Array.from({ length: 6 }, (_, index) => lane(index));
      const rotation = processes.cli(['rotate-master-key'], env).then((run) => {
        if (run.code === 0) rotations++;
        else rotationFailures.push(run.stderr.slice(0, 300));
      });
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      const victim = round % 2;
      await servers[victim]?.kill();
      await new Promise((resolve) => setTimeout(resolve, 600));
      stop = true;
      await Promise.all([...lanes, rotation]);
      servers[victim] = await processes.server(env);
    }
    for (const server of servers) await server.kill();

    const sqlite = openDatabase(world.database);
    try {
      if (sqlite.engine !== 'sqlite') throw new Error('unreachable');
      expect(sqlite.sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
      const usage = Number(
        (sqlite.sqlite.prepare('select count(*) as n from usage_events').get() as { n: number }).n,
      );
      expect(usage).toBeGreaterThanOrEqual(acknowledgedCalls);
    } finally {
      await sqlite.close();
    }
    const server = await processes.server(env);
    const client = createSwitchboardClient({ url: server.url, token: world.token });
    const stored = await client.credentials.list.query({
      workspaceId: world.workspaceId,
      provider: 'openai-compatible',
      model: { name: 'trust-model', type: 'llm' },
    });
    const byName = new Map(stored.map((credential) => [credential.name, credential.id]));
    for (const { name } of credentials) expect(byName.has(name), name).toBe(true);
    upstream.keysSeen.clear();
    await inParallel(credentials.length, 4, (index) =>
      client.credentials.revalidate.mutate({
        workspaceId: world.workspaceId,
        credentialId: byName.get(credentials[index]?.name ?? '') as string,
      }),
    );
    for (const { secret } of credentials)
      expect(upstream.keysSeen.has(`Bearer ${secret}`), secret).toBe(true);
    expect(rotationFailures).toEqual([]);
    expect(
      tally(await inParallel(5, 5, (index) => chatCall(server.url, world.apiKey, `after-kill-${index}`))).ok,
    ).toBe(5);
    rows.push({
      check: 'SIGKILL x2 of two servers during credential writes, usage and master-key rotation',
      tried: `${credentials.length} writes, ${acknowledgedCalls} calls, ${rotations} rotations`,
      result:
        'integrity ok, 0 acknowledged writes lost, every secret decrypts, usage >= acknowledged, serves after restart',
    });
  });
});

/** Another process takes SQLite's write lock, holds it `ms`, writes a row of its own and commits. */
function holdWriteLock(
  filename: string,
  ms: number,
): { locked: Promise<void>; exit: Promise<number | null> } {
  const script = `
    const db = new (require('better-sqlite3'))(process.argv[1]);
    db.pragma('busy_timeout = 10000');
    db.exec('BEGIN IMMEDIATE');
    process.stdout.write('locked\\n');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(process.argv[2]));
    db.exec('COMMIT');
    db.close();
  `;
  const child: ChildProcess = spawn(process.execPath, ['-e', script, filename, String(ms)], {
    cwd: coreRoot,
  });
  const locked = new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { locked, exit };
}
