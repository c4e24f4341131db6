import { ENGINES, type FakeUpstream } from '@switchboard/test-utils';
import type { KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCore } from '../../test/test-core.ts';
import type { Core } from '../core.ts';
import {
  activateCredential,
  createCredential,
  installProvider,
  listModels,
  listProviders,
  resolveModel,
  resolveModelCached,
} from './index.ts';
import { seedLargeWorkspace } from './large-workspace.ts';
import {
  createTestWorkspace,
  realAdapters,
  startOpenAIFormatUpstream,
  type TestWorkspace,
} from '../../test/provider-kit.ts';

/** A core whose database counts the queries it runs. */
function countingCore(core: Core): { core: Core; queries: () => number; reset: () => void } {
  let count = 0;
  const plugin: KyselyPlugin = {
    transformQuery(args) {
      count++;
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
  return {
    core: { ...core, db: core.db.withPlugin(plugin) },
    queries: () => count,
    reset: () => {
      count = 0;
    },
  };
}

describe.each(ENGINES)('model lists and resolveModel on %s', (engine) => {
  let core: Core;
  let upstream: FakeUpstream;
  let small: TestWorkspace;
  let large: TestWorkspace;

  beforeAll(async () => {
    upstream = await startOpenAIFormatUpstream();
    core = await createTestCore(engine, { providers: await realAdapters() });
    small = await createTestWorkspace(core, 'Empty');
    large = await createTestWorkspace(core, 'Large');
  });
  afterAll(async () => {
    await core.close();
    await upstream.close();
  });

  it('lists providers and models in a fixed number of queries, whatever the size', async () => {
    const seeded = await seedLargeWorkspace(core, large.workspaceId, { models: 1000, credentials: 500 });
    expect(seeded).toEqual({ models: 1000, credentials: 500 });
    const counted = countingCore(core);
    const measure = async (workspaceId: string, actor: TestWorkspace['member']) => {
      counted.reset();
      const providers = await listProviders(counted.core, actor, { workspaceId });
      const providerQueries = counted.queries();
      counted.reset();
      const models = await listModels(counted.core, actor, { workspaceId });
      return {
        providerQueries,
        modelQueries: counted.queries(),
        providers: providers.length,
        models: models.length,
      };
    };
    const empty = await measure(small.workspaceId, small.member);
    const full = await measure(large.workspaceId, large.member);
    expect(empty).toMatchObject({ providers: 0, models: 0 });
    expect(full.providers).toBe(core.providers.size);
    expect(full.models).toBe(1000);
    expect(full.providerQueries).toBe(empty.providerQueries);
    expect(full.modelQueries).toBe(empty.modelQueries);
    // One membership check and six loads.
    expect(full.modelQueries).toBe(7);
  });

  it('answers from memory after the first load, and reloads after a change in that workspace only', async () => {
    const counted = countingCore(core);
    await installProvider(core, small.admin, { workspaceId: small.workspaceId, provider: 'openai' });
    await createCredential(core, small.admin, {
      workspaceId: small.workspaceId,
      provider: 'openai',
      values: { api_key: 'sk-test-openai-0001', base_url: `${upstream.url}/v1` },
    });
    expect(resolveModelCached(counted.core, small.workspaceId, 'llm', 'openai/gpt-4o-mini')).toBeUndefined();
    const first = await resolveModel(counted.core, small.workspaceId, 'llm', 'openai/gpt-4o-mini');
    expect(first).toMatchObject({
      provider: 'openai',
      model: 'gpt-4o-mini',
      type: 'llm',
      credential: { values: { api_key: 'sk-test-openai-0001' } },
    });
    counted.reset();
    for (let index = 0; index < 1000; index++)
      await resolveModel(counted.core, small.workspaceId, 'llm', 'gpt-4o-mini');
    expect(counted.queries()).toBe(0);

    // A change elsewhere leaves this workspace's snapshot alone.
    core.changes.publish({
      workspaceId: large.workspaceId,
      kind: 'credential',
      id: null,
      action: 'credential.create',
      at: new Date().toISOString(),
    });
    expect(resolveModelCached(counted.core, small.workspaceId, 'llm', 'gpt-4o-mini')).toBeDefined();

    const second = await createCredential(core, small.admin, {
      workspaceId: small.workspaceId,
      provider: 'openai',
      name: 'second',
      values: { api_key: 'sk-test-openai-0002', base_url: `${upstream.url}/v1` },
    });
    expect(resolveModelCached(counted.core, small.workspaceId, 'llm', 'gpt-4o-mini')).toBeUndefined();
    await activateCredential(core, small.admin, { workspaceId: small.workspaceId, credentialId: second.id });
    counted.reset();
    const switched = await resolveModel(counted.core, small.workspaceId, 'llm', 'gpt-4o-mini');
    expect(switched.credential).toMatchObject({ id: second.id, values: { api_key: 'sk-test-openai-0002' } });
    expect(counted.queries()).toBeGreaterThan(0);
  });

  it('resolves in a large workspace too', async () => {
    const resolved = await resolveModel(core, large.workspaceId, 'llm', 'openai/gpt-4o-mini');
    expect(resolved.credential.values.api_key).toMatch(/^sk-test-seed-/);
  });
});
