import type { Core } from '@switchboard/core';
import { ENGINES, type FakeUpstream } from '@switchboard/test-utils';
import { TRPCError } from '@trpc/server';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestWorkspace,
  realAdapters,
  startOpenAIFormatUpstream,
  type TestWorkspace,
} from '@switchboard/core/testing';
import { createTestCore } from '@switchboard/core/testing';
import { createInnerContext } from '../context.ts';
import { createCallerFactory, router } from '../trpc.ts';
import { credentialsRouter } from './credentials.ts';
import { defaultsRouter } from './defaults.ts';
import { loadBalancingRouter } from './load-balancing.ts';
import { modelsRouter } from './models.ts';
import { providersRouter } from './providers.ts';

const providerRouters = router({
  providers: providersRouter,
  credentials: credentialsRouter,
  models: modelsRouter,
  defaults: defaultsRouter,
  loadBalancing: loadBalancingRouter,
});
const createCaller = createCallerFactory(providerRouters);

/** The tRPC error a call fails with, and the field errors the console would show. */
async function trpcError(
  promise: Promise<unknown>,
): Promise<{ code: string; message: string; fieldErrors: Record<string, string[]> }> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TRPCError);
  const trpc = error as TRPCError;
  const cause = trpc.cause as
    | { fieldErrors?: Record<string, string[]>; issues?: { path: PropertyKey[]; message: string }[] }
    | undefined;
  const fieldErrors: Record<string, string[]> = { ...(cause?.fieldErrors ?? {}) };
  for (const issue of cause?.issues ?? []) fieldErrors[issue.path.map(String).join('.')] = [issue.message];
  return { code: trpc.code, message: trpc.message, fieldErrors };
}

const KEY_PROD = 'sk-test-openai-0001';
const KEY_DEV = 'sk-test-openai-0002';
const KEY_LOCAL = 'sk-test-local-0001';
const KEY_LOCAL_TWO = 'sk-test-local-0002';

describe.each(ENGINES)('provider routers on %s', (engine) => {
  let core: Core;
  let upstream: FakeUpstream;
  const as = (actor: { userId: string }) =>
    createCaller(createInnerContext({ core, auth: { userId: actor.userId, via: 'token' } }));
  const local = (key: string) => ({ base_url: `${upstream.url}/v1`, api_key: key });

  /**
   * A workspace of its own (no test depends on another), set up as the page walk leaves the
   * parts the other tests read: OpenAI with keys `production` and `development`, the tts-1
   * default, and openai-compatible's `my-model` with keys `local` and `local two`.
   */
  async function configuredWorkspace(): Promise<TestWorkspace> {
    const ws = await createTestWorkspace(core);
    const admin = as(ws.admin);
    const workspaceId = ws.workspaceId;
    for (const provider of ['openai', 'openai-compatible'] as const)
      await admin.providers.install({ workspaceId, provider });
    for (const [name, key] of [
      ['production', KEY_PROD],
      ['development', KEY_DEV],
    ] as const)
      await admin.credentials.create({ workspaceId, provider: 'openai', name, values: local(key) });
    for (const [name, key] of [
      ['local', KEY_LOCAL],
      ['local two', KEY_LOCAL_TWO],
    ] as const) {
      await admin.models.addCustom({
        workspaceId,
        provider: 'openai-compatible',
        model: { name: 'my-model', type: 'llm' },
        credential: { name, values: local(key) },
      });
    }
    await admin.defaults.set({ workspaceId, provider: 'openai', model: { name: 'tts-1', type: 'tts' } });
    return ws;
  }

  beforeAll(async () => {
    upstream = await startOpenAIFormatUpstream();
    core = await createTestCore(engine, { providers: await realAdapters() });
  });
  afterAll(async () => {
    await core.close();
    await upstream.close();
  });

  it('walks the model-providers page top to bottom', async () => {
    const ws = await createTestWorkspace(core);
    const admin = as(ws.admin);
    const workspaceId = ws.workspaceId;

    // Add a provider: browse the catalog, install, validate the key, set it up.
    const catalog = await admin.providers.catalog({ workspaceId });
    expect(catalog.map((entry) => entry.manifest.id)).toContain('openai');
    await admin.providers.install({ workspaceId, provider: 'openai' });
    await expect(
      admin.credentials.validate({ workspaceId, provider: 'openai', values: local(KEY_PROD) }),
    ).resolves.toMatchObject({ valid: true });
    const refused = await trpcError(
      admin.credentials.create({ workspaceId, provider: 'openai', values: local('sk-test-bad-0009') }),
    );
    expect(refused.code).toBe('BAD_REQUEST');
    expect(refused.fieldErrors.api_key?.[0]).toMatch(/Incorrect API key/);
    const production = await admin.credentials.create({
      workspaceId,
      provider: 'openai',
      name: 'production',
      values: local(KEY_PROD),
    });
    expect(production).toMatchObject({
      name: 'production',
      active: true,
      values: { api_key: 'sk-************0001' },
    });
    const providerModels = await admin.models.list({ workspaceId, provider: 'openai' });
    expect(providerModels.every((model) => model.status === 'active' && model.source === 'predefined')).toBe(
      true,
    );

    // Add a custom model on your own inference server, twice with the same name: the key is attached.
    await admin.providers.install({ workspaceId, provider: 'openai-compatible' });
    const model = { name: 'my-model', type: 'llm' as const };
    const first = await admin.models.addCustom({
      workspaceId,
      provider: 'openai-compatible',
      model,
      credential: { name: 'local', values: local(KEY_LOCAL) },
    });
    expect(first).toMatchObject({ attached: false, credential: { name: 'local', active: true } });
    const second = await admin.models.addCustom({
      workspaceId,
      provider: 'openai-compatible',
      model,
      credential: { name: 'local two', values: local(KEY_LOCAL_TWO) },
    });
    expect(second).toMatchObject({ attached: true, credential: { name: 'local two', active: false } });
    expect(
      (await admin.models.list({ workspaceId, provider: 'openai-compatible' })).map((entry) => [
        entry.name,
        entry.source,
        entry.status,
      ]),
    ).toEqual([['my-model', 'custom', 'active']]);

    // Manage credentials: several keys per provider and per model, one active each.
    const development = await admin.credentials.create({
      workspaceId,
      provider: 'openai',
      name: 'development',
      values: local(KEY_DEV),
    });
    await admin.credentials.activate({ workspaceId, credentialId: development.id });
    const providerKeys = await admin.credentials.list({ workspaceId, provider: 'openai' });
    expect(providerKeys.map((credential) => [credential.name, credential.active])).toEqual([
      ['production', false],
      ['development', true],
    ]);
    const modelKeys = await admin.credentials.list({ workspaceId, provider: 'openai-compatible', model });
    expect(modelKeys.map((credential) => credential.name)).toEqual(['local', 'local two']);
    await admin.credentials.activate({ workspaceId, credentialId: second.credential?.id as string });
    const managed = await admin.models.manageCredentials({ workspaceId, provider: 'openai-compatible' });
    expect(managed).toMatchObject([
      {
        model,
        removed: false,
        credentials: [
          { name: 'local', active: false },
          { name: 'local two', active: true },
        ],
      },
    ]);

    // Deleting a model's only credential removes the model too.
    const lone = await admin.models.addCustom({
      workspaceId,
      provider: 'openai-compatible',
      model: { name: 'llama3.2:latest', type: 'llm' },
      credential: { values: local(KEY_LOCAL) },
    });
    await expect(
      admin.credentials.remove({ workspaceId, credentialId: lone.credential?.id as string }),
    ).resolves.toMatchObject({ modelRemoved: true });
    expect(
      (await admin.models.list({ workspaceId, provider: 'openai-compatible' })).map((entry) => entry.name),
    ).toEqual(['my-model']);

    // Keys stay after a model is removed; re-add it from Manage Credentials without typing them.
    await admin.models.remove({ workspaceId, provider: 'openai-compatible', model });
    const afterRemove = await admin.models.manageCredentials({ workspaceId, provider: 'openai-compatible' });
    expect(afterRemove).toMatchObject([{ model, removed: true }]);
    expect(afterRemove[0]?.credentials).toHaveLength(2);
    const readded = await admin.models.addCustom({ workspaceId, provider: 'openai-compatible', model });
    expect(readded).toMatchObject({ restored: true, credential: { name: 'local two', active: true } });
    expect(await admin.models.list({ workspaceId, provider: 'openai-compatible' })).toMatchObject([
      { name: 'my-model', status: 'active' },
    ]);

    // Default models: one per category.
    await admin.models.addCustom({
      workspaceId,
      provider: 'openai-compatible',
      model: { name: 'bge-reranker-v2-m3', type: 'rerank' },
      credential: { credentialId: second.credential?.id as string },
    });
    const choices = {
      llm: ['openai-compatible', 'my-model'],
      'text-embedding': ['openai', 'text-embedding-3-small'],
      rerank: ['openai-compatible', 'bge-reranker-v2-m3'],
      speech2text: ['openai', 'whisper-1'],
      tts: ['openai', 'tts-1'],
    } as const;
    for (const [type, [provider, name]] of Object.entries(choices)) {
      await admin.defaults.set({
        workspaceId,
        provider,
        model: { name, type: type as keyof typeof choices },
      });
    }
    const defaults = await as(ws.member).defaults.get({ workspaceId });
    for (const [type, [provider, name]] of Object.entries(choices)) {
      expect(defaults[type as keyof typeof choices]).toMatchObject({
        provider,
        model: name,
        status: 'active',
      });
    }
  });

  it('lets editors and members read with secrets masked but change nothing; outsiders see nothing', async () => {
    const ws = await configuredWorkspace();
    const workspaceId = ws.workspaceId;
    for (const actor of [ws.editor, ws.member]) {
      const caller = as(actor);
      const providers = await caller.providers.list({ workspaceId });
      expect(providers.length).toBeGreaterThan(0);
      const text = JSON.stringify([
        providers,
        await caller.models.manageCredentials({ workspaceId, provider: 'openai-compatible' }),
      ]);
      for (const key of [KEY_PROD, KEY_DEV, KEY_LOCAL, KEY_LOCAL_TWO]) expect(text).not.toContain(key);
      expect((await trpcError(caller.providers.install({ workspaceId, provider: 'anthropic' }))).code).toBe(
        'FORBIDDEN',
      );
      expect(
        (
          await trpcError(
            caller.credentials.create({ workspaceId, provider: 'openai', values: local(KEY_PROD) }),
          )
        ).code,
      ).toBe('FORBIDDEN');
      expect(
        (
          await trpcError(
            caller.defaults.set({
              workspaceId,
              provider: 'openai',
              model: { name: 'gpt-4o-mini', type: 'llm' },
            }),
          )
        ).code,
      ).toBe('FORBIDDEN');
    }
    const outsider = as(ws.outsider);
    expect((await trpcError(outsider.models.list({ workspaceId }))).code).toBe('NOT_FOUND');
    expect((await trpcError(outsider.providers.catalog({ workspaceId }))).code).toBe('NOT_FOUND');
  });

  it('rejects bad input with field errors, stale versions with CONFLICT, and unconfirmed uninstalls', async () => {
    const ws = await configuredWorkspace();
    const admin = as(ws.admin);
    const workspaceId = ws.workspaceId;
    const unknown = await trpcError(admin.providers.install({ workspaceId, provider: 'nope' as 'openai' }));
    expect(unknown.code).toBe('BAD_REQUEST');
    expect(unknown.fieldErrors.provider).toBeDefined();
    const model = { name: 'my-model', type: 'llm' as const };
    const [first, second] = await admin.credentials.list({
      workspaceId,
      provider: 'openai-compatible',
      model,
    });
    const weights = await trpcError(
      admin.loadBalancing.set({
        workspaceId,
        provider: 'openai-compatible',
        model,
        enabled: true,
        credentials: [
          { credentialId: first?.id as string, weight: 101 },
          { credentialId: second?.id as string, weight: 1 },
        ],
      }),
    );
    expect(weights.fieldErrors['credentials.0.weight']?.[0]).toMatch(/1 to 100/);
    const saved = await admin.loadBalancing.set({
      workspaceId,
      provider: 'openai-compatible',
      model,
      enabled: true,
      credentials: [
        { credentialId: first?.id as string, weight: 2 },
        { credentialId: second?.id as string, weight: 1 },
      ],
    });
    expect(saved.credentials.map((entry) => entry.cooldownUntil)).toEqual([null, null]);
    expect(
      await admin.loadBalancing.get({ workspaceId, provider: 'openai-compatible', model }),
    ).toMatchObject({ enabled: true });

    const stale = await trpcError(
      admin.credentials.update({
        workspaceId,
        credentialId: first?.id as string,
        version: 0,
        name: 'renamed',
      }),
    );
    expect(stale.code).toBe('CONFLICT');
    const moved = await trpcError(
      admin.credentials.update({
        workspaceId,
        credentialId: first?.id as string,
        version: first?.version as number,
        values: { ...first?.values, base_url: 'http://127.0.0.1:9/v1' },
      }),
    );
    expect(moved.fieldErrors.api_key?.[0]).toMatch(/type this secret again/);

    await admin.models.disable({ workspaceId, provider: 'openai', model: { name: 'tts-1', type: 'tts' } });
    expect((await admin.defaults.get({ workspaceId })).tts).toMatchObject({
      model: 'tts-1',
      status: 'disabled',
    });
    await admin.models.enable({ workspaceId, provider: 'openai', model: { name: 'tts-1', type: 'tts' } });

    const unconfirmed = await trpcError(admin.providers.uninstall({ workspaceId, provider: 'openai' }));
    expect(unconfirmed.code).toBe('PRECONDITION_FAILED');
    expect(unconfirmed.message).toMatch(/2 credential/);
    await expect(
      admin.providers.uninstall({ workspaceId, provider: 'openai', confirm: true }),
    ).resolves.toMatchObject({ removedCredentials: 2 });
    expect((await admin.providers.list({ workspaceId })).map((provider) => provider.id)).toEqual([
      'openai-compatible',
    ]);
  });

  it('discovers models on an OpenAI-compatible server and adds several at once', async () => {
    const ws = await configuredWorkspace();
    const admin = as(ws.admin);
    const workspaceId = ws.workspaceId;
    const found = await admin.models.discover({
      workspaceId,
      provider: 'openai-compatible',
      values: local(KEY_LOCAL),
    });
    expect(found.find((entry) => entry.name === 'my-model')).toMatchObject({ added: true });
    const fresh = found.filter((entry) => !entry.added).slice(0, 2);
    expect(fresh.length).toBe(2);
    const result = await admin.models.addDiscovered({
      workspaceId,
      provider: 'openai-compatible',
      values: local(KEY_LOCAL),
      models: fresh.map((entry) => ({ name: entry.name, type: entry.type })),
    });
    expect(result.added).toHaveLength(2);
    const listed = await admin.models.list({ workspaceId, provider: 'openai-compatible' });
    for (const entry of fresh)
      expect(listed.find((model) => model.name === entry.name)).toMatchObject({
        source: 'discovered',
        status: 'active',
      });
  });

  it('answers over HTTP with masked values and field errors the console can show', async () => {
    const ws = await configuredWorkspace();
    const call = async (path: string, input: unknown, method: 'GET' | 'POST') => {
      const encoded = encodeURIComponent(JSON.stringify(input));
      const response = await fetchRequestHandler({
        endpoint: '/trpc',
        router: providerRouters,
        req:
          method === 'GET'
            ? new Request(`http://127.0.0.1/trpc/${path}?input=${encoded}`)
            : new Request(`http://127.0.0.1/trpc/${path}`, {
                method,
                body: JSON.stringify(input),
                headers: { 'content-type': 'application/json' },
              }),
        createContext: () => createInnerContext({ core, auth: { userId: ws.admin.userId, via: 'token' } }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const listed = await call(
      'credentials.list',
      {
        workspaceId: ws.workspaceId,
        provider: 'openai-compatible',
        model: { name: 'my-model', type: 'llm' },
      },
      'GET',
    );
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).toContain('sk-************0001');
    expect(JSON.stringify(listed.body)).not.toContain(KEY_LOCAL);
    const refused = await call(
      'credentials.create',
      {
        workspaceId: ws.workspaceId,
        provider: 'openai-compatible',
        model: { name: 'my-model', type: 'llm' },
        values: local('sk-test-bad-0009'),
      },
      'POST',
    );
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({
      error: {
        data: { code: 'BAD_REQUEST', fieldErrors: { api_key: [expect.stringMatching(/Incorrect API key/)] } },
      },
    });
    expect(JSON.stringify(refused.body)).not.toContain('sk-test-bad-0009');
  });
});
