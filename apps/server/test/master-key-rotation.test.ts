import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSwitchboardClient } from '@switchboard/client';
import { ENGINES, type FakeUpstream, startFakeUpstream } from '@switchboard/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Processes, processDatabaseUrl, type ServerProcess } from './processes.ts';

// Issue 13, defect 1: rotating the master key while servers run must never leave a data key
// wrapped by a key that is gone. Real server processes, the real CLI, real key files.
const processes = new Processes();
let upstream: FakeUpstream;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  upstream.route('GET', '/v1/models', {
    json: { object: 'list', data: [{ id: 'qwen2.5-7b', object: 'model', created: 0, owned_by: 'vllm' }] },
  });
});
afterAll(() => upstream?.close());
afterEach(() => processes.killAll());

/** A workspace created through `server`, with one custom model whose credential holds `secret`. */
async function workspaceWithSecret(server: ServerProcess, token: string, name: string, secret: string) {
  const client = createSwitchboardClient({ url: server.url, token });
  const workspace = await client.workspaces.create.mutate({ name });
  await client.providers.install.mutate({ workspaceId: workspace.id, provider: 'openai-compatible' });
  await client.models.addCustom.mutate({
    workspaceId: workspace.id,
    provider: 'openai-compatible',
    model: { name: 'qwen2.5-7b', type: 'llm' },
    credential: { name: 'vllm', values: { base_url: `${upstream.url}/v1`, api_key: secret } },
  });
  return { workspaceId: workspace.id, secret };
}

/** Proves the server can decrypt every stored secret: revalidating sends each one to the upstream. */
async function expectDecrypts(
  server: ServerProcess,
  token: string,
  stored: readonly { workspaceId: string; secret: string }[],
) {
  const client = createSwitchboardClient({ url: server.url, token });
  upstream.requests.length = 0;
  const revalidate = async (entry: { workspaceId: string; secret: string }) => {
    const [credential] = await client.credentials.list.query({
      workspaceId: entry.workspaceId,
      provider: 'openai-compatible',
      model: { name: 'qwen2.5-7b', type: 'llm' },
    });
    if (!credential) throw new Error(`no credential in ${entry.workspaceId}`);
    await client.credentials.revalidate.mutate({
      workspaceId: entry.workspaceId,
      credentialId: credential.id,
    });
  };
  for (let start = 0; start < stored.length; start += 4) {
    await Promise.all(stored.slice(start, start + 4).map(revalidate));
  }
  const sent = new Set(upstream.requests.map((request) => request.headers.authorization));
  expect(stored.filter((entry) => !sent.has(`Bearer ${entry.secret}`))).toEqual([]);
}

/**
 * SQLite lets one process write at a time, and a write whose transaction read before another
 * process committed is turned away (busy) rather than merged: with two servers and the CLI
 * writing at once, a request may fail and is tried again, as a client would.
 */
async function withRetries<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

const keyFiles = (dataDir: string) => readdirSync(dataDir).filter((name) => name.startsWith('master.key'));

describe.each(ENGINES)('master key rotation with running servers on %s', (engine) => {
  it('keeps every secret through three rotations while two servers keep writing secrets', {
    timeout: 300_000,
  }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-rotation-'));
    const env = processes.env(dataDir, { DATABASE_URL: await processDatabaseUrl(engine) });
    const setup = await processes.cli(
      ['setup', '--email', 'ops@example.test', '--password', 'long enough secret', '--workspace', 'Acme'],
      env,
    );
    expect(setup.code, setup.stderr).toBe(0);
    const token = setup.stdout.trim();
    const servers = [await processes.server(env), await processes.server(env)];
    const stored = [
      await workspaceWithSecret(servers[0] as ServerProcess, token, 'Before', 'sk-test-fake-rotation-0000'),
    ];

    // Background writes while the rotations run. Only acknowledged writes count: one the database
    // turned away (busy) is not a lost secret.
    let rotating = true;
    let written = 0;
    const writer = async (server: ServerProcess, name: string) => {
      while (rotating) {
        // Paced, so that the check afterwards stays short, yet every rotation meets writes.
        await new Promise((resolve) => setTimeout(resolve, 500));
        const secret = `sk-test-fake-traffic-${name}-${String(written++).padStart(4, '0')}`;
        const entry = await workspaceWithSecret(server, token, name, secret).catch(() => undefined);
        if (entry) stored.push(entry);
      }
    };
    const writers = servers.map((server, index) => writer(server, `s${index}`));
    let secretNumber = 1;
    for (const round of [1, 2, 3]) {
      const rotated = await processes.cli(['rotate-master-key'], env);
      expect(rotated.code, rotated.stderr).toBe(0);
      expect(rotated.stdout).toMatch(/Re-wrapped \d+ workspace key\(s\)/);
      // Right after each rotation each server creates a data key, whether or not it heard of it yet.
      for (const server of servers) {
        const secret = `sk-test-fake-rotation-${String(secretNumber++).padStart(4, '0')}`;
        stored.push(await withRetries(() => workspaceWithSecret(server, token, `Round ${round}`, secret)));
      }
    }
    rotating = false;
    await Promise.all(writers);
    // One key file for the current key, one copy per key rows still refer to: nothing older lingers.
    expect(keyFiles(dataDir).length).toBeLessThanOrEqual(2);

    for (const server of servers) expect(await server.stop()).toBe(0);
    const restarted = await processes.server(env);
    await expectDecrypts(restarted, token, stored);
    expect(restarted.logs()).not.toContain('sk-test-fake-');
    expect(await restarted.stop()).toBe(0);
    rmSync(dataDir, { recursive: true, force: true });
  });
});
