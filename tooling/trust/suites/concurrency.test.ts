import { createSwitchboardClient, type SwitchboardClient } from '@switchboard/client';
import { type DatabaseHandle, openDatabase } from '@switchboard/core';
import { ENGINES } from '@switchboard/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Processes } from '../../../apps/server/test/processes.ts';
import { type PrivatePostgres, startPrivatePostgres } from '../src/fault-postgres.ts';
import { type FaultUpstream, startFaultUpstream } from '../src/fault-upstream.ts';
import { prepareWorld } from '../src/fault-world.ts';
import { recordTrust, type TrustRow } from '../src/summary.ts';

// Suite 6 (issue 13): many admins change one provider's model at once. No update is lost (a
// clash on a version is CONFLICT), and the model has exactly one active credential at every
// moment the database is sampled, not only at the end.
const ADMINS = 8;
const CALLS_PER_ADMIN = 40;
const model = { name: 'trust-model', type: 'llm' } as const;
const provider = 'openai-compatible' as const;

const processes = new Processes();
const rows: TrustRow[] = [];
let upstream: FaultUpstream;
let postgres: PrivatePostgres;

beforeAll(async () => {
  upstream = await startFaultUpstream();
  postgres = await startPrivatePostgres();
});
afterEach(() => processes.killAll());
afterAll(async () => {
  recordTrust('concurrency', rows);
  await upstream?.close();
  postgres?.stop();
});

/** Groups of credentials (provider or model scope) whose active count is not exactly one. */
async function activeClashes(handle: DatabaseHandle, workspaceId: string): Promise<string[]> {
  const groups = await handle.db
    .selectFrom('provider_credentials')
    .select((eb) => [
      'scope',
      eb.fn.sum<number>('is_active').as('active'),
      eb.fn.countAll<number>().as('total'),
    ])
    .where('workspace_id', '=', workspaceId)
    .groupBy(['provider', 'scope'])
    .execute();
  return groups
    .filter((group) => Number(group.total) > 0 && Number(group.active) !== 1)
    .map((group) => `${group.scope}: ${group.active} active of ${group.total}`);
}

/** Seeded choices, so a failing run can be read again. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe.each(ENGINES)('many admins on one provider (%s)', (engine) => {
  it('loses no update and keeps exactly one active credential throughout', async () => {
    const world = await prepareWorld({
      baseUrl: upstream.baseUrl,
      chatKeys: ['ok', 'ok', 'ok'],
      loadBalance: false,
      databaseUrl: engine === 'postgres' ? await postgres.createDatabase() : undefined,
    });
    const server = await processes.server(processes.env(world.dataDir, { DATABASE_URL: world.databaseUrl }));
    const owner = createSwitchboardClient({ url: server.url, token: world.token });
    const admins: SwitchboardClient[] = [];
    for (let index = 0; index < ADMINS; index++) {
      const { token } = await owner.tokens.create.mutate({ name: `admin session ${index}` });
      admins.push(createSwitchboardClient({ url: server.url, token }));
    }
    const sampler = openDatabase(world.database);
    const clashes: string[] = [];
    let samples = 0;
    let sampling = true;
    const sampleLoop = (async () => {
      while (sampling) {
        clashes.push(...(await activeClashes(sampler, world.workspaceId)));
        samples++;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();

    const workspaceId = world.workspaceId;
    const counts = { ok: 0, conflict: 0, other: [] as string[] };
    // Successful renames: credential, the version they were based on, the name and version written.
    const renames: { id: string; from: number; name: string; version: number }[] = [];
    const act = async (admin: SwitchboardClient, index: number) => {
      const next = random(index + 1);
      for (let call = 0; call < CALLS_PER_ADMIN; call++) {
        const credentials = await admin.credentials.list.query({ workspaceId, provider, model });
        const pick = credentials[Math.floor(next() * credentials.length)];
        const choice = next();
        try {
          if (!pick || choice < 0.15) {
            await admin.credentials.create.mutate({
              workspaceId,
              provider,
              model,
              name: `added ${index}-${call}`,
              values: { base_url: upstream.baseUrl('ok'), api_key: `sk-test-fake-admin-${index}-${call}` },
            });
          } else if (choice < 0.45) {
            await admin.credentials.activate.mutate({
              workspaceId,
              credentialId: pick.id,
              version: pick.version,
            });
          } else if (choice < 0.75) {
            const name = `renamed ${index}-${call}`;
            const updated = await admin.credentials.update.mutate({
              workspaceId,
              credentialId: pick.id,
              version: pick.version,
              name,
            });
            renames.push({ id: pick.id, from: pick.version, name, version: updated.version });
          } else if (choice < 0.87) {
            if (credentials.length <= 2) continue;
            await admin.credentials.remove.mutate({
              workspaceId,
              credentialId: pick.id,
              version: pick.version,
            });
          } else {
            const [view] = (await admin.models.list.query({ workspaceId, provider })).filter(
              (candidate) => candidate.name === model.name,
            );
            if (!view) throw new Error('model gone');
            const input = { workspaceId, provider, model, version: view.version };
            if (view.enabled) await admin.models.disable.mutate(input);
            else await admin.models.enable.mutate(input);
          }
          counts.ok++;
        } catch (error) {
          const code = (error as { data?: { code?: string } }).data?.code;
          // CONFLICT: someone else changed it first. NOT_FOUND: someone removed it first.
          if (code === 'CONFLICT' || code === 'NOT_FOUND') counts.conflict++;
          else counts.other.push(`${code}: ${(error as Error).message}`);
        }
      }
    };
    try {
      await Promise.all(admins.map(act));
    } finally {
      sampling = false;
      await sampleLoop;
    }

    expect(
      counts.other,
      server
        .logs()
        .split('\n')
        .filter((line) => line.includes('"error"'))
        .slice(0, 3)
        .join('\n'),
    ).toEqual([]);
    expect(clashes).toEqual([]);
    // No lost update: no two renames of one credential succeeded from the same version, and
    // each credential still there carries the name of its last successful rename.
    const seen = new Set<string>();
    for (const rename of renames) {
      const key = `${rename.id}@${rename.from}`;
      expect(seen.has(key), `two renames of ${key}`).toBe(false);
      seen.add(key);
    }
    const final = await owner.credentials.list.query({ workspaceId, provider, model });
    for (const credential of final) {
      const last = renames
        .filter((rename) => rename.id === credential.id)
        .sort((a, b) => b.version - a.version)[0];
      if (last) expect(credential.name).toBe(last.name);
    }
    expect(await activeClashes(sampler, workspaceId)).toEqual([]);
    await sampler.close();
    rows.push({
      check: `${ADMINS} admins changing one model at once (${engine})`,
      tried: `${ADMINS * CALLS_PER_ADMIN} changes, ${samples} samples`,
      result: `${counts.ok} applied, ${counts.conflict} CONFLICT/NOT_FOUND, 0 lost updates, always exactly 1 active`,
    });
  });
});
