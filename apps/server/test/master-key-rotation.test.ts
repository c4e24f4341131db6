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

/** Proves the server can decrypt the stored secret: revalidating sends it to the upstream. */
async function expectDecrypts(
  server: ServerProcess,
  token: string,
  stored: { workspaceId: string; secret: string },
) {
  const client = createSwitchboardClient({ url: server.url, token });
  const [credential] = await client.credentials.list.query({
    workspaceId: stored.workspaceId,
    provider: 'openai-compatible',
    model: { name: 'qwen2.5-7b', type: 'llm' },
  });
  if (!credential) throw new Error(`no credential in ${stored.workspaceId}`);
  upstream.requests.length = 0;
  await client.credentials.revalidate.mutate({
    workspaceId: stored.workspaceId,
    credentialId: credential.id,
  });
  expect(upstream.requests.map((request) => request.headers.authorization)).toContain(
    `Bearer ${stored.secret}`,
  );
}

const keyFiles = (dataDir: string) => readdirSync(dataDir).filter((name) => name.startsWith('master.key'));

describe.each(ENGINES)('master key rotation with running servers on %s', (engine) => {
  it('keeps every secret through two rotations while two servers create workspaces in between', {
    timeout: 180_000,
  }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-rotation-'));
    const env = processes.env(dataDir, { DATABASE_URL: await processDatabaseUrl(engine) });
    const setup = await processes.cli(
      ['setup', '--email', 'ops@example.test', '--password', 'long enough secret', '--workspace', 'Acme'],
      env,
    );
    expect(setup.code, setup.stderr).toBe(0);
    const token = setup.stdout.trim();
    const first = await processes.server(env);
    const second = await processes.server(env);

    const stored = [await workspaceWithSecret(first, token, 'Before', 'sk-test-fake-rotation-0000')];
    let secretNumber = 1;
    for (const round of [1, 2]) {
      const rotated = await processes.cli(['rotate-master-key'], env);
      expect(rotated.code, rotated.stderr).toBe(0);
      expect(rotated.stdout).toMatch(/Re-wrapped \d+ workspace key\(s\)/);
      // Right after the rotation each running server creates a data key, before and after it heard of it.
      for (const server of [first, second]) {
        const secret = `sk-test-fake-rotation-${String(secretNumber++).padStart(4, '0')}`;
        stored.push(await workspaceWithSecret(server, token, `Round ${round}`, secret));
      }
    }
    // One key file for the current key, one copy per key rows still refer to: nothing older lingers.
    expect(keyFiles(dataDir).length).toBeLessThanOrEqual(2);

    expect(await first.stop()).toBe(0);
    expect(await second.stop()).toBe(0);
    const restarted = await processes.server(env);
    for (const entry of stored) await expectDecrypts(restarted, token, entry);
    expect(restarted.logs()).not.toContain('sk-test-fake-rotation');
    expect(await restarted.stop()).toBe(0);
    rmSync(dataDir, { recursive: true, force: true });
  });
});
