import { type Core, CooldownBoard } from '@switchboard/core';
import type { ProviderId } from '@switchboard/provider-spec';
import { ENGINES, type FakeUpstream } from '@switchboard/test-utils';
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestWorkspace, realAdapters, startOpenAIFormatUpstream } from '@switchboard/core/testing';
import { createTestCore } from '@switchboard/core/testing';
import { createInnerContext } from '../context.ts';
import { createCallerFactory, router } from '../trpc.ts';
import { credentialsRouter } from './credentials.ts';
import { defaultsRouter } from './defaults.ts';
import { loadBalancingRouter } from './load-balancing.ts';
import { modelsRouter } from './models.ts';
import { providersRouter } from './providers.ts';

// The shapes a typed-client user relies on (issue 9 §4): one meaning of `version`, one model
// reference, errors that name the provider once, defaults that survive an uninstall. Every test
// has its own workspace, so each one reads alone.

const createCaller = createCallerFactory(
  router({
    providers: providersRouter,
    credentials: credentialsRouter,
    models: modelsRouter,
    defaults: defaultsRouter,
    loadBalancing: loadBalancingRouter,
  }),
);

/** The tRPC error code a call fails with. */
async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return (error as TRPCError).code;
}

const MODEL = { name: 'my-model', type: 'llm' as const };

describe.each(ENGINES)('API shapes on %s', (engine) => {
  let core: Core;
  let upstream: FakeUpstream;
  const values = (key: string) => ({ base_url: `${upstream.url}/v1`, api_key: key });

  beforeAll(async () => {
    upstream = await startOpenAIFormatUpstream();
    core = await createTestCore(engine, { providers: await realAdapters() });
  });
  afterAll(async () => {
    await core.close();
    await upstream.close();
  });

  /** A fresh workspace whose admin installed `providers`, and that admin's caller. */
  async function workspace(...providers: ProviderId[]) {
    const ws = await createTestWorkspace(core);
    const admin = createCaller(createInnerContext({ core, auth: { userId: ws.admin.userId, via: 'token' } }));
    for (const provider of providers)
      await admin.providers.install({ workspaceId: ws.workspaceId, provider });
    return { workspaceId: ws.workspaceId, admin };
  }

  it('checks one `version` per model: enable, disable and remove agree, and each change moves it', async () => {
    const { workspaceId, admin } = await workspace('openai-compatible');
    await admin.models.addCustom({
      workspaceId,
      provider: 'openai-compatible',
      model: MODEL,
      credential: { values: values('sk-test-local-0001') },
    });
    const [listed] = await admin.models.list({ workspaceId, provider: 'openai-compatible' });
    expect(listed).not.toHaveProperty('settingsVersion');
    const version = listed?.version as number;
    const disabled = await admin.models.disable({
      workspaceId,
      provider: 'openai-compatible',
      model: MODEL,
      version,
    });
    expect(disabled).toEqual({ enabled: false, version: version + 1 });
    const target = { workspaceId, provider: 'openai-compatible' as const, model: MODEL };
    expect(await codeOf(admin.models.enable({ ...target, version }))).toBe('CONFLICT');
    expect(await codeOf(admin.models.remove({ ...target, version }))).toBe('CONFLICT');
    await admin.models.enable({ ...target, version: version + 1 });
    await expect(admin.models.remove({ ...target, version: version + 2 })).resolves.toMatchObject({
      removed: true,
    });
  });

  it('leaves the previously active key alone when another one is activated', async () => {
    const { workspaceId, admin } = await workspace('openai');
    const first = await admin.credentials.create({
      workspaceId,
      provider: 'openai',
      values: values('sk-test-a-0001'),
    });
    const second = await admin.credentials.create({
      workspaceId,
      provider: 'openai',
      values: values('sk-test-a-0002'),
    });
    const activated = await admin.credentials.activate({
      workspaceId,
      credentialId: second.id,
      version: second.version,
    });
    expect(activated).toMatchObject({ active: true, version: second.version });
    const [before] = await admin.credentials.list({ workspaceId, provider: 'openai' });
    expect(before).toMatchObject({ id: first.id, active: false, version: first.version });
    // A client still holding the first key's version may rename it: nobody edited it.
    await expect(
      admin.credentials.update({
        workspaceId,
        credentialId: first.id,
        version: first.version,
        name: 'spare',
      }),
    ).resolves.toMatchObject({ name: 'spare', version: first.version + 1 });
  });

  it('takes `version` as optional optimistic concurrency in update, remove and activate alike', async () => {
    const { workspaceId, admin } = await workspace('openai');
    const key = await admin.credentials.create({
      workspaceId,
      provider: 'openai',
      values: values('sk-test-b-0001'),
    });
    await expect(
      admin.credentials.update({ workspaceId, credentialId: key.id, name: 'renamed' }),
    ).resolves.toMatchObject({
      name: 'renamed',
    });
    expect(
      await codeOf(admin.credentials.activate({ workspaceId, credentialId: key.id, version: key.version })),
    ).toBe('CONFLICT');
    await admin.credentials.activate({ workspaceId, credentialId: key.id });
    await expect(admin.credentials.remove({ workspaceId, credentialId: key.id })).resolves.toMatchObject({
      removed: true,
    });
  });

  it('sets a default with the same model reference as every other procedure, and clears it by type', async () => {
    const { workspaceId, admin } = await workspace('openai');
    await admin.credentials.create({ workspaceId, provider: 'openai', values: values('sk-test-c-0001') });
    const set = await admin.defaults.set({
      workspaceId,
      provider: 'openai',
      model: { name: 'gpt-4o-mini', type: 'llm' },
    });
    expect(set).toMatchObject({ type: 'llm', provider: 'openai', model: 'gpt-4o-mini', status: 'active' });
    // Without a provider the input is refused by its type, before any rule runs.
    expect(
      await codeOf(
        admin.defaults.set({
          workspaceId,
          model: { name: 'gpt-4o-mini', type: 'llm' },
        } as unknown as Parameters<typeof admin.defaults.set>[0]),
      ),
    ).toBe('BAD_REQUEST');
    await expect(
      admin.defaults.clear({ workspaceId, type: 'llm', version: set.version }),
    ).resolves.toBeNull();
    expect((await admin.defaults.get({ workspaceId })).llm).toBeNull();
  });

  it("names the provider once in a rejected key's error", async () => {
    const { workspaceId, admin } = await workspace('openai');
    const error = await admin.credentials
      .create({ workspaceId, provider: 'openai', values: values('sk-test-bad-0001') })
      .then(
        () => undefined,
        (caught: unknown) => caught as TRPCError,
      );
    expect(error?.message).toMatch(/^OpenAI: Incorrect API key provided/);
    expect(error?.message.match(/openai/gi)).toHaveLength(2); // the label, and the upstream's own URL
    expect(error?.message).not.toContain('sk-test-bad-0001');
  });

  it('keeps the defaults of an uninstalled provider as provider-removed, and brings them back on re-install', async () => {
    const { workspaceId, admin } = await workspace('openai');
    await admin.credentials.create({ workspaceId, provider: 'openai', values: values('sk-test-d-0001') });
    await admin.defaults.set({
      workspaceId,
      provider: 'openai',
      model: { name: 'gpt-4o-mini', type: 'llm' },
    });
    const uninstalled = await admin.providers.uninstall({ workspaceId, provider: 'openai', confirm: true });
    expect(uninstalled).toMatchObject({ removedCredentials: 1, keptDefaults: 1 });
    expect((await admin.defaults.get({ workspaceId })).llm).toMatchObject({
      provider: 'openai',
      model: 'gpt-4o-mini',
      status: 'provider-removed',
    });
    await admin.providers.install({ workspaceId, provider: 'openai' });
    await admin.credentials.create({ workspaceId, provider: 'openai', values: values('sk-test-d-0002') });
    expect((await admin.defaults.get({ workspaceId })).llm).toMatchObject({
      provider: 'openai',
      model: 'gpt-4o-mini',
      status: 'active',
    });
  });

  it('returns the active credential of a restored custom model', async () => {
    const { workspaceId, admin } = await workspace('openai-compatible');
    const added = await admin.models.addCustom({
      workspaceId,
      provider: 'openai-compatible',
      model: MODEL,
      credential: { name: 'local', values: values('sk-test-e-0001') },
    });
    await admin.models.remove({ workspaceId, provider: 'openai-compatible', model: MODEL });
    const restored = await admin.models.addCustom({
      workspaceId,
      provider: 'openai-compatible',
      model: MODEL,
    });
    expect(restored).toMatchObject({
      restored: true,
      credential: { id: added.credential?.id, name: 'local', active: true },
    });
  });

  it("keeps the provider's own reason when a key is rejected during a gateway call", async () => {
    const { workspaceId, admin } = await workspace('openai');
    const key = await admin.credentials.create({
      workspaceId,
      provider: 'openai',
      values: values('sk-test-f-0001'),
    });
    // The error a real call with a revoked key gets from the provider's wire.
    const adapter = core.providers.get('openai');
    const rejected = await adapter
      ?.validateCredentials({ credentials: values('sk-test-bad-0002'), signal: AbortSignal.timeout(10_000) })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    const board = new CooldownBoard(core);
    expect(board.start(workspaceId, key.id, rejected as never, Date.now())).toBeDefined();
    await board.settle();
    const [credential] = await admin.credentials.list({ workspaceId, provider: 'openai' });
    expect(credential?.statusReason).toMatch(/^OpenAI: Incorrect API key provided/);
    const [model] = await admin.models.list({ workspaceId, provider: 'openai' });
    expect(model).toMatchObject({ status: 'credential-invalid' });
    expect(model?.reason).toContain(credential?.statusReason);
  });

  it('turns load balancing off without a credential list, keeping the saved weights', async () => {
    const { workspaceId, admin } = await workspace('openai');
    const one = await admin.credentials.create({
      workspaceId,
      provider: 'openai',
      values: values('sk-test-g-0001'),
    });
    const two = await admin.credentials.create({
      workspaceId,
      provider: 'openai',
      values: values('sk-test-g-0002'),
    });
    const target = {
      workspaceId,
      provider: 'openai' as const,
      model: { name: 'gpt-4o-mini', type: 'llm' as const },
    };
    await admin.loadBalancing.set({
      ...target,
      enabled: true,
      credentials: [
        { credentialId: one.id, weight: 3 },
        { credentialId: two.id, weight: 1 },
      ],
    });
    const off = await admin.loadBalancing.set({ ...target, enabled: false });
    expect(off).toMatchObject({ enabled: false });
    expect(off.credentials.map((entry) => [entry.weight, entry.included])).toEqual([
      [3, true],
      [1, true],
    ]);
    expect(await codeOf(admin.loadBalancing.set({ ...target, enabled: true } as never))).toBe('BAD_REQUEST');
  });
});
