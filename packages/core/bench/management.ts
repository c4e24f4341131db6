// Management benchmark: the resolveModel hot path (calls per second) and listing a large
// workspace against an empty one (time ratio). Run: npx tsx bench/management.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAllAdapters } from '@switchboard/providers';
import { createCore } from '../src/core.ts';
import { newId, nowIso } from '../src/ids.ts';
import { listModels, listProviders, resolveModel } from '../src/provider-management/index.ts';
import { seedLargeWorkspace } from '../src/provider-management/large-workspace.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
const core = await createCore({
  database: { engine: 'sqlite', filename: ':memory:' },
  dataDir,
  masterKey: { env: Buffer.alloc(32, 7).toString('base64') },
  providers: createAllAdapters(),
});
const actor = { kind: 'system', label: 'bench' } as const;

async function workspace(name: string): Promise<string> {
  const id = newId('ws');
  const now = nowIso();
  await core.db.insertInto('workspaces').values({ id, name, created_at: now, updated_at: now }).execute();
  return id;
}

const empty = await workspace('empty');
const large = await workspace('large');
const seeded = await seedLargeWorkspace(core, large, { models: 1000, credentials: 500 });

async function timeList(workspaceId: string, rounds: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let round = 0; round < rounds; round++) {
    await listProviders(core, actor, { workspaceId });
    await listModels(core, actor, { workspaceId });
  }
  return Number(process.hrtime.bigint() - start) / 1e6 / rounds;
}

await timeList(empty, 20);
await timeList(large, 20);
const emptyMs = await timeList(empty, 200);
const largeMs = await timeList(large, 50);

// Named, bare and default lookups, as the gateway receives them.
await core.db
  .insertInto('default_models')
  .values({
    workspace_id: large,
    model_type: 'llm',
    provider: 'openai',
    model: 'gpt-4o-mini',
    created_at: nowIso(),
    updated_at: nowIso(),
  })
  .execute();
core.changes.publish({ workspaceId: large, kind: 'default', id: 'llm', action: 'default.set', at: nowIso() });
const names = ['openai/gpt-4o-mini', 'gpt-4o-mini', undefined, 'openai/text-embedding-3-small'];
const types = ['llm', 'llm', 'llm', 'text-embedding'] as const;
await resolveModel(core, large, 'llm');
const calls = 2_000_000;
let failures = 0;
const start = process.hrtime.bigint();
for (let index = 0; index < calls; index++) {
  const slot = index & 3;
  try {
    await resolveModel(core, large, types[slot] as 'llm', names[slot]);
  } catch {
    failures++;
  }
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;

console.log(
  `workspace: ${seeded.models} models, ${seeded.credentials} credentials, ${core.providers.size} providers`,
);
console.log(
  `list (providers + models): empty ${emptyMs.toFixed(2)} ms, large ${largeMs.toFixed(2)} ms, ratio ${(largeMs / emptyMs).toFixed(1)}x`,
);
console.log(
  `resolveModel: ${Math.round(calls / seconds).toLocaleString('en-US')} calls/s (${failures} of ${calls} answered with an error)`,
);

await core.close();
rmSync(dataDir, { recursive: true, force: true });
