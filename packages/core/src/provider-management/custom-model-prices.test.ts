import { ENGINES, type FakeUpstream } from '@switchboard/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCore } from '../../test/test-core.ts';
import {
  createTestWorkspace,
  realAdapters,
  startOpenAIFormatUpstream,
  type TestWorkspace,
} from '../../test/provider-kit.ts';
import { listAudit } from '../accounts/audit-log.ts';
import type { Core } from '../core.ts';
import { CoreError } from '../errors.ts';
import { UsageRecorder } from '../gateway/usage.ts';
import { usageSummary } from '../gateway/usage-summary.ts';
import {
  addCustomModel,
  createCredential,
  installProvider,
  listModels,
  removeModel,
  resolveModel,
  updateCustomModel,
} from './index.ts';

// Custom model prices (decision 0032): set when adding a model and later, checked field by field,
// and used wherever the catalog's prices are: models.list (the playground), the resolved model
// (API key budgets) and the usage summary.

/** The CoreError a promise rejects with (fails the test when it resolves or throws something else). */
async function coreError(promise: Promise<unknown>): Promise<CoreError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(CoreError);
  return error as CoreError;
}

const KEY = 'sk-test-openai-prices-0001';
const PROVIDER = 'openai-compatible';

describe.each(ENGINES)('custom model prices on %s', (engine) => {
  let core: Core;
  let upstream: FakeUpstream;
  const values = () => ({ base_url: `${upstream.url}/v1`, api_key: KEY });

  /** A workspace with the OpenAI-compatible provider installed. */
  async function workspace(): Promise<TestWorkspace> {
    const ws = await createTestWorkspace(core);
    await installProvider(core, ws.owner, { workspaceId: ws.workspaceId, provider: PROVIDER });
    return ws;
  }
  const listed = async (ws: TestWorkspace, name: string) =>
    (await listModels(core, ws.member, { workspaceId: ws.workspaceId, provider: PROVIDER })).find(
      (model) => model.name === name,
    );

  beforeAll(async () => {
    upstream = await startOpenAIFormatUpstream();
    core = await createTestCore(engine, { providers: await realAdapters() });
  });
  afterAll(async () => {
    await core.close();
    await upstream.close();
  });

  it('stores a price given when adding a model and uses it in models.list and resolving', async () => {
    const ws = await workspace();
    await addCustomModel(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: PROVIDER,
      model: { name: 'gpt-4o-mini', type: 'llm' },
      credential: { values: values() },
      pricing: { inputPerMillion: 0.5, outputPerMillion: 1.25 },
    });
    await addCustomModel(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: PROVIDER,
      model: { name: 'gpt-4.1-mini', type: 'llm' },
      credential: { values: values() },
    });
    expect(await listed(ws, 'gpt-4o-mini')).toMatchObject({
      pricing: { inputPerMillion: 0.5, outputPerMillion: 1.25 },
      pricingSource: 'custom',
    });
    // No price is "no price", not 0.
    expect(await listed(ws, 'gpt-4.1-mini')).toMatchObject({ pricing: null, pricingSource: null });
    const resolved = await resolveModel(core, ws.workspaceId, 'llm', `${PROVIDER}/gpt-4o-mini`);
    expect(resolved.pricing).toEqual({ inputPerMillion: 0.5, outputPerMillion: 1.25 });
    expect((await resolveModel(core, ws.workspaceId, 'llm', `${PROVIDER}/gpt-4.1-mini`)).pricing).toBeNull();
  });

  it('refuses a bad price naming the field, and adds nothing', async () => {
    const ws = await workspace();
    const add = (pricing: unknown, type: 'llm' | 'text-embedding' = 'llm') =>
      addCustomModel(core, ws.admin, {
        workspaceId: ws.workspaceId,
        provider: PROVIDER,
        model: { name: type === 'llm' ? 'gpt-4.1-mini' : 'text-embedding-3-small', type },
        credential: { values: values() },
        pricing: pricing as never,
      });
    const cases: [unknown, string[]][] = [
      [{ inputPerMillion: -1, outputPerMillion: 1 }, ['pricing.inputPerMillion']],
      [{ inputPerMillion: 1, outputPerMillion: Number.POSITIVE_INFINITY }, ['pricing.outputPerMillion']],
      [
        { inputPerMillion: Number.NaN, outputPerMillion: -0.01 },
        ['pricing.inputPerMillion', 'pricing.outputPerMillion'],
      ],
      [{ inputPerMillion: '1', outputPerMillion: 1 }, ['pricing.inputPerMillion']],
      [{ inputPerMillion: 1 }, ['pricing.outputPerMillion']],
      [{ outputPerMillion: 1 }, ['pricing.inputPerMillion']],
      [
        { inputPerMillion: 1, outputPerMillion: 1, cachedInputPerMillion: 0.5 },
        ['pricing.cachedInputPerMillion'],
      ],
      [{ inputPerMillion: 100_001, outputPerMillion: 1 }, ['pricing.inputPerMillion']],
      ['free', ['pricing']],
    ];
    for (const [pricing, fields] of cases) {
      const error = await coreError(add(pricing));
      expect(error.code).toBe('BAD_REQUEST');
      expect(Object.keys(error.fieldErrors ?? {}).sort()).toEqual(fields);
    }
    expect(await listed(ws, 'gpt-4.1-mini')).toBeUndefined();
    // An embedding model is not charged for output: the input price alone is a price.
    await add({ inputPerMillion: 0.02 }, 'text-embedding');
    const embedding = (
      await listModels(core, ws.member, { workspaceId: ws.workspaceId, type: 'text-embedding' })
    ).find((model) => model.name === 'text-embedding-3-small');
    expect(embedding?.pricing).toEqual({ inputPerMillion: 0.02 });
  });

  it('changes and clears a price with models.update, checking the version and the role', async () => {
    const ws = await workspace();
    const model = { name: 'gpt-4o-mini', type: 'llm' as const };
    await addCustomModel(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: PROVIDER,
      model,
      credential: { values: values() },
    });
    const before = await listed(ws, model.name);
    const base = { workspaceId: ws.workspaceId, provider: PROVIDER, model };
    expect(
      (
        await coreError(
          updateCustomModel(core, ws.editor, {
            ...base,
            pricing: { inputPerMillion: 1, outputPerMillion: 2 },
          }),
        )
      ).code,
    ).toBe('FORBIDDEN');
    // The resolve cache is loaded before the change: the change event must reach it.
    expect((await resolveModel(core, ws.workspaceId, 'llm', `${PROVIDER}/${model.name}`)).pricing).toBeNull();
    const set = await updateCustomModel(core, ws.admin, {
      ...base,
      version: before?.version,
      pricing: { inputPerMillion: 3, outputPerMillion: 0 },
    });
    expect(set).toEqual({
      pricing: { inputPerMillion: 3, outputPerMillion: 0 },
      version: (before?.version ?? 0) + 1,
    });
    expect((await resolveModel(core, ws.workspaceId, 'llm', `${PROVIDER}/${model.name}`)).pricing).toEqual({
      inputPerMillion: 3,
      outputPerMillion: 0,
    });
    const stale = await coreError(
      updateCustomModel(core, ws.admin, { ...base, version: before?.version, pricing: null }),
    );
    expect(stale.code).toBe('CONFLICT');
    const bad = await coreError(
      updateCustomModel(core, ws.admin, { ...base, pricing: { inputPerMillion: -3, outputPerMillion: 1 } }),
    );
    expect(bad.fieldErrors).toHaveProperty(['pricing.inputPerMillion']);
    expect((await listed(ws, model.name))?.pricing).toEqual({ inputPerMillion: 3, outputPerMillion: 0 });

    const cleared = await updateCustomModel(core, ws.admin, { ...base, version: set.version, pricing: null });
    expect(cleared).toEqual({ pricing: null, version: set.version + 1 });
    expect(await listed(ws, model.name)).toMatchObject({ pricing: null, pricingSource: null });
    const audit = await listAudit(core, ws.owner, {
      workspaceId: ws.workspaceId,
      limit: 10,
      action: 'model.price',
    });
    expect(audit.entries.map((entry) => entry.details)).toEqual([
      expect.objectContaining({ from: { inputPerMillion: 3, outputPerMillion: 0 }, to: null }),
      expect.objectContaining({ from: null, to: { inputPerMillion: 3, outputPerMillion: 0 } }),
    ]);
    const missing = await coreError(
      updateCustomModel(core, ws.admin, { ...base, model: { name: 'nope', type: 'llm' }, pricing: null }),
    );
    expect(missing.code).toBe('NOT_FOUND');
  });

  it('keeps the catalog price of a predefined model, and lets a custom model of that name override it', async () => {
    const ws = await createTestWorkspace(core);
    await installProvider(core, ws.owner, { workspaceId: ws.workspaceId, provider: 'openai' });
    const openaiValues = { base_url: `${upstream.url}/v1`, api_key: KEY };
    await createCredential(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
      values: openaiValues,
    });
    const catalog = core.providers
      .get('openai')
      ?.manifest.models.find((model) => model.id === 'gpt-4o-mini')?.pricing;
    const find = async () =>
      (await listModels(core, ws.member, { workspaceId: ws.workspaceId, provider: 'openai' })).find(
        (model) => model.name === 'gpt-4o-mini',
      );
    expect(await find()).toMatchObject({ pricing: catalog, pricingSource: 'catalog' });
    const predefined = await coreError(
      updateCustomModel(core, ws.admin, {
        workspaceId: ws.workspaceId,
        provider: 'openai',
        model: { name: 'gpt-4o-mini', type: 'llm' },
        pricing: { inputPerMillion: 1, outputPerMillion: 1 },
      }),
    );
    expect(predefined.code).toBe('BAD_REQUEST');
    await addCustomModel(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
      model: { name: 'gpt-4o-mini', type: 'llm' },
      credential: { values: openaiValues },
      pricing: { inputPerMillion: 9, outputPerMillion: 9 },
    });
    expect(await find()).toMatchObject({
      pricing: { inputPerMillion: 9, outputPerMillion: 9 },
      pricingSource: 'custom',
    });
  });

  it('prices usage with the custom price, keeps a removed model priced, and says no price for unpriced ones', async () => {
    const ws = await workspace();
    const add = (name: string, pricing?: { inputPerMillion: number; outputPerMillion: number }) =>
      addCustomModel(core, ws.admin, {
        workspaceId: ws.workspaceId,
        provider: PROVIDER,
        model: { name, type: 'llm' },
        credential: { values: values() },
        ...(pricing ? { pricing } : {}),
      });
    await add('gpt-4o-mini', { inputPerMillion: 2, outputPerMillion: 4 });
    await add('gpt-4.1-mini');
    const recorder = new UsageRecorder(core, { intervalMs: 60_000 });
    const call = (model: string, at: string) =>
      recorder.record({
        workspaceId: ws.workspaceId,
        apiKeyId: null,
        userId: null,
        provider: PROVIDER,
        model,
        modelType: 'llm',
        credentialId: null,
        latencyMs: 10,
        ttfbMs: null,
        status: 200,
        tokensIn: 500_000,
        tokensOut: 250_000,
        outcome: 'ok',
        at: new Date(at),
      });
    call('gpt-4o-mini', '2026-11-02T10:00:00Z');
    call('gpt-4.1-mini', '2026-11-03T10:00:00Z');
    await recorder.close();
    const period = { workspaceId: ws.workspaceId, from: '2026-11-01T00:00:00Z', to: '2026-11-30T00:00:00Z' };
    const summary = await usageSummary(core, ws.admin, period);
    const byModel = Object.fromEntries(summary.byModel.map((row) => [row.model, row.estimatedCostUsd]));
    // 0.5 M in at 2 USD + 0.25 M out at 4 USD.
    expect(byModel['gpt-4o-mini']).toBeCloseTo(2, 9);
    expect(byModel['gpt-4.1-mini']).toBeNull();
    expect(summary.total.estimatedCostUsd).toBeNull();

    await removeModel(core, ws.admin, {
      ...period,
      provider: PROVIDER,
      model: { name: 'gpt-4o-mini', type: 'llm' },
    });
    const afterRemoval = await usageSummary(core, ws.admin, period);
    expect(afterRemoval.byModel.find((row) => row.model === 'gpt-4o-mini')?.estimatedCostUsd).toBeCloseTo(
      2,
      9,
    );
  });
});
