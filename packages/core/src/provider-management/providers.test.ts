import { ENGINES, type FakeUpstream } from '@switchboard/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCore } from '../../test/test-core.ts';
import type { ChangeEvent } from '../changes.ts';
import type { Core } from '../core.ts';
import { maskSecret } from '../crypto/mask.ts';
import { CoreError } from '../errors.ts';
import { startCooldown } from '../gateway/cooldowns.ts';
import {
  activateCredential,
  addCustomModel,
  addDiscoveredModels,
  clearDefaultModel,
  type CredentialView,
  createCredential,
  discoverModels,
  getDefaultModels,
  getLoadBalancing,
  installProvider,
  listCredentials,
  listModels,
  listProviders,
  manageCredentials,
  providerCatalog,
  removeCredential,
  removeModel,
  resolveModel,
  revalidateCredential,
  setCredentialStatus,
  setDefaultModel,
  setLoadBalancing,
  setModelEnabled,
  uninstallProvider,
  updateCredential,
  validateCredential,
} from './index.ts';
import {
  createTestWorkspace,
  realAdapters,
  startCohereUpstream,
  startOllamaUpstream,
  startOpenAIFormatUpstream,
  type TestWorkspace,
} from '../../test/provider-kit.ts';

/** The CoreError a promise rejects with (fails the test when it resolves or throws something else). */
async function coreError(promise: Promise<unknown>): Promise<CoreError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(CoreError);
  return error as CoreError;
}

const KEY_ONE = 'sk-test-openai-0001';
const KEY_TWO = 'sk-test-openai-0002';
const KEY_BAD = 'sk-test-bad-0003';

describe.each(ENGINES)('provider management on %s', (engine) => {
  let core: Core;
  let openaiUpstream: FakeUpstream;
  let cohereUpstream: FakeUpstream;
  let ollamaUpstream: FakeUpstream;
  const events: ChangeEvent[] = [];
  const openaiValues = (key: string) => ({ api_key: key, base_url: `${openaiUpstream.url}/v1` });

  /**
   * A workspace of its own (every test starts from one, so none depends on another) with
   * OpenAI installed and one credential per key, named `API key N`, the first one active.
   */
  async function openaiWorkspace(
    ...keys: string[]
  ): Promise<{ ws: TestWorkspace; credentials: CredentialView[] }> {
    const ws = await createTestWorkspace(core);
    await installProvider(core, ws.owner, { workspaceId: ws.workspaceId, provider: 'openai' });
    const credentials: CredentialView[] = [];
    for (const key of keys)
      credentials.push(
        await createCredential(core, ws.admin, {
          workspaceId: ws.workspaceId,
          provider: 'openai',
          values: openaiValues(key),
        }),
      );
    return { ws, credentials };
  }

  beforeAll(async () => {
    [openaiUpstream, cohereUpstream, ollamaUpstream] = await Promise.all([
      startOpenAIFormatUpstream(),
      startCohereUpstream(),
      startOllamaUpstream(),
    ]);
    core = await createTestCore(engine, { providers: await realAdapters() });
    core.changes.subscribe((event) => events.push(event));
  });
  afterAll(async () => {
    await core.close();
    await Promise.all([openaiUpstream.close(), cohereUpstream.close(), ollamaUpstream.close()]);
  });

  it('lists every adapter in the catalog, filterable by model type', async () => {
    const ws = await createTestWorkspace(core);
    const all = await providerCatalog(core, ws.member, { workspaceId: ws.workspaceId });
    expect(all.map((entry) => entry.manifest.id)).toEqual([...core.providers.keys()]);
    expect(all.every((entry) => !entry.installed)).toBe(true);
    const rerank = await providerCatalog(core, ws.member, { workspaceId: ws.workspaceId, type: 'rerank' });
    expect(rerank.length).toBeGreaterThan(0);
    expect(rerank.every((entry) => entry.manifest.modelTypes.includes('rerank'))).toBe(true);
    expect(rerank.some((entry) => entry.manifest.id === 'openai')).toBe(false);
  });

  it('lets only owners and admins change anything, and hides the workspace from outsiders', async () => {
    const ws = await createTestWorkspace(core);
    expect(
      (await coreError(installProvider(core, ws.editor, { workspaceId: ws.workspaceId, provider: 'openai' })))
        .code,
    ).toBe('FORBIDDEN');
    expect(
      (await coreError(installProvider(core, ws.member, { workspaceId: ws.workspaceId, provider: 'openai' })))
        .code,
    ).toBe('FORBIDDEN');
    expect((await coreError(listProviders(core, ws.outsider, { workspaceId: ws.workspaceId }))).code).toBe(
      'NOT_FOUND',
    );
    expect((await coreError(listModels(core, ws.outsider, { workspaceId: ws.workspaceId }))).code).toBe(
      'NOT_FOUND',
    );
  });

  it('installs a provider once; its predefined models wait for a credential', async () => {
    const ws = await createTestWorkspace(core);
    await installProvider(core, ws.owner, { workspaceId: ws.workspaceId, provider: 'openai' });
    expect(
      (await coreError(installProvider(core, ws.owner, { workspaceId: ws.workspaceId, provider: 'openai' })))
        .code,
    ).toBe('CONFLICT');
    const models = await listModels(core, ws.member, { workspaceId: ws.workspaceId, provider: 'openai' });
    expect(models.length).toBeGreaterThan(0);
    expect(models.every((model) => model.status === 'no-credential' && model.source === 'predefined')).toBe(
      true,
    );
    expect(models[0]?.reason).toMatch(/Add an API key to OpenAI/);
    expect(events.at(-1)).toMatchObject({
      workspaceId: ws.workspaceId,
      kind: 'provider',
      action: 'provider.install',
    });
  });

  it('validates a credential with a real call before saving, and reports the upstream reason on the field', async () => {
    const { ws } = await openaiWorkspace();
    const bad = await coreError(
      createCredential(core, ws.admin, {
        workspaceId: ws.workspaceId,
        provider: 'openai',
        values: openaiValues(KEY_BAD),
      }),
    );
    expect(bad.code).toBe('BAD_REQUEST');
    expect(bad.fieldErrors?.api_key?.[0]).toMatch(/Incorrect API key/);
    expect(JSON.stringify(bad)).not.toContain(KEY_BAD);
    const missing = await coreError(
      createCredential(core, ws.admin, {
        workspaceId: ws.workspaceId,
        provider: 'openai',
        values: { base_url: `${openaiUpstream.url}/v1` },
      }),
    );
    expect(missing.fieldErrors?.api_key).toEqual(['API key is required']);
    expect(
      await listCredentials(core, ws.admin, { workspaceId: ws.workspaceId, provider: 'openai' }),
    ).toEqual([]);
  });

  it('checks a form in a dry run without saving anything', async () => {
    const { ws } = await openaiWorkspace();
    const before = openaiUpstream.requests.length;
    await expect(
      validateCredential(core, ws.admin, {
        workspaceId: ws.workspaceId,
        provider: 'openai',
        values: openaiValues(KEY_ONE),
      }),
    ).resolves.toMatchObject({ valid: true });
    expect(openaiUpstream.requests.length).toBe(before + 1);
    expect(
      await listCredentials(core, ws.admin, { workspaceId: ws.workspaceId, provider: 'openai' }),
    ).toEqual([]);
  });

  it('creates named credentials, the first one active, secrets masked; predefined models become active', async () => {
    const { ws } = await openaiWorkspace();
    const first = await createCredential(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
      values: openaiValues(KEY_ONE),
    });
    expect(first).toMatchObject({
      name: 'API key 1',
      active: true,
      status: 'valid',
      model: null,
      version: 1,
    });
    expect(first.values.api_key).toBe(maskSecret(KEY_ONE));
    const second = await createCredential(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
      values: openaiValues(KEY_TWO),
    });
    expect(second).toMatchObject({ name: 'API key 2', active: false });
    const duplicate = await coreError(
      createCredential(core, ws.admin, {
        workspaceId: ws.workspaceId,
        provider: 'openai',
        name: 'API key 1',
        values: openaiValues(KEY_TWO),
      }),
    );
    expect(duplicate.fieldErrors?.name?.[0]).toMatch(/already exists/);
    const listed = await listCredentials(core, ws.editor, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
    });
    expect(listed.filter((credential) => credential.active).map((credential) => credential.id)).toEqual([
      first.id,
    ]);
    expect(JSON.stringify(listed)).not.toContain(KEY_ONE);
    const models = await listModels(core, ws.member, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
      type: 'llm',
    });
    expect(models.every((model) => model.status === 'active' && model.type === 'llm')).toBe(true);
    const [provider] = await listProviders(core, ws.member, { workspaceId: ws.workspaceId });
    expect(provider).toMatchObject({ id: 'openai', activeCredentialId: first.id });
    expect(provider?.activeModelCount).toBe(provider?.modelCount);
    const audit = await core.db
      .selectFrom('audit_log')
      .selectAll()
      .where('workspace_id', '=', ws.workspaceId)
      .where('action', '=', 'credential.create')
      .execute();
    expect(audit.length).toBe(2);
    expect(JSON.stringify(audit)).not.toContain('sk-test');
  });

  it('keeps a masked secret on update, asks for it again when the endpoint changes, and refuses stale versions', async () => {
    const { ws } = await openaiWorkspace(KEY_ONE);
    const [first] = await listCredentials(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
    });
    if (!first) throw new Error('no credential');
    const renamed = await updateCredential(core, ws.admin, {
      workspaceId: ws.workspaceId,
      credentialId: first.id,
      version: first.version,
      name: 'production',
      values: { ...first.values },
    });
    expect(renamed).toMatchObject({ name: 'production', version: first.version + 1 });
    const resolved = await resolveModel(core, ws.workspaceId, 'llm', 'openai/gpt-4o-mini');
    expect(resolved.credential).toMatchObject({ id: first.id, values: { api_key: KEY_ONE } });

    const moved = await coreError(
      updateCredential(core, ws.admin, {
        workspaceId: ws.workspaceId,
        credentialId: first.id,
        version: renamed.version,
        values: { ...renamed.values, base_url: 'http://127.0.0.1:9/v1' },
      }),
    );
    expect(moved.code).toBe('BAD_REQUEST');
    expect(moved.fieldErrors?.api_key?.[0]).toMatch(/type this secret again/);

    const stale = await coreError(
      updateCredential(core, ws.admin, {
        workspaceId: ws.workspaceId,
        credentialId: first.id,
        version: first.version,
        name: 'other',
      }),
    );
    expect(stale.code).toBe('CONFLICT');
    const after = await listCredentials(core, ws.admin, { workspaceId: ws.workspaceId, provider: 'openai' });
    expect(after.find((credential) => credential.id === first.id)?.name).toBe('production');

    const invalid = await coreError(
      updateCredential(core, ws.admin, {
        workspaceId: ws.workspaceId,
        credentialId: first.id,
        version: renamed.version,
        values: { api_key: KEY_BAD },
      }),
    );
    expect(invalid.fieldErrors?.api_key?.[0]).toMatch(/Incorrect API key/);
  });

  it('records a credential the provider rejects as invalid, and valid again once it passes', async () => {
    const { ws } = await openaiWorkspace(KEY_ONE);
    const [first] = await listCredentials(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
    });
    if (!first) throw new Error('credential expected');
    await setCredentialStatus(
      core,
      { kind: 'system', label: 'gateway' },
      {
        workspaceId: ws.workspaceId,
        credentialId: first.id,
        valid: false,
        reason: 'HTTP 401 Incorrect API key provided',
      },
    );
    const models = await listModels(core, ws.member, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
      type: 'llm',
    });
    expect(models[0]).toMatchObject({ status: 'credential-invalid' });
    expect(models[0]?.reason).toMatch(/HTTP 401/);
    expect(
      (await coreError(resolveModel(core, ws.workspaceId, 'llm', 'openai/gpt-4o-mini'))).message,
    ).toMatch(/credential-invalid/);
    const revalidated = await revalidateCredential(core, ws.admin, {
      workspaceId: ws.workspaceId,
      credentialId: first.id,
    });
    expect(revalidated).toMatchObject({ status: 'valid', statusReason: null });
    await expect(resolveModel(core, ws.workspaceId, 'llm', 'openai/gpt-4o-mini')).resolves.toMatchObject({
      credential: { id: first.id },
    });
  });

  it('switches the active credential, and activates another when the active one is removed', async () => {
    const { ws } = await openaiWorkspace(KEY_ONE, KEY_TWO);
    const listed = await listCredentials(core, ws.admin, { workspaceId: ws.workspaceId, provider: 'openai' });
    const [first, second] = listed;
    if (!first || !second) throw new Error('two credentials expected');
    await activateCredential(core, ws.admin, { workspaceId: ws.workspaceId, credentialId: second.id });
    expect((await resolveModel(core, ws.workspaceId, 'llm', 'gpt-4o-mini')).credential.id).toBe(second.id);
    // Which key is active is the provider's choice, not an edit of either key: no version moves.
    const switched = await listCredentials(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
    });
    expect(switched.map((credential) => [credential.active, credential.version])).toEqual([
      [false, first.version],
      [true, second.version],
    ]);
    const removed = await removeCredential(core, ws.admin, {
      workspaceId: ws.workspaceId,
      credentialId: second.id,
    });
    expect(removed.activatedCredentialId).toBe(first.id);
    const left = await listCredentials(core, ws.admin, { workspaceId: ws.workspaceId, provider: 'openai' });
    expect(left.map((credential) => [credential.id, credential.active])).toEqual([[first.id, true]]);
  });

  it('adds a custom model, attaches a second key to the same name and type, and keeps one active', async () => {
    const { ws } = await openaiWorkspace(KEY_ONE, KEY_TWO);
    const model = { name: 'my-model', type: 'llm' as const };
    const added = await addCustomModel(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
      model,
      credential: { values: openaiValues(KEY_ONE) },
    });
    expect(added).toMatchObject({
      attached: false,
      restored: false,
      credential: { name: 'API key 1', active: true, model },
    });
    const again = await addCustomModel(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
      model,
      credential: { name: 'staging', values: openaiValues(KEY_TWO) },
    });
    expect(again).toMatchObject({ attached: true, credential: { name: 'staging', active: false } });
    const custom = (
      await listModels(core, ws.member, { workspaceId: ws.workspaceId, provider: 'openai' })
    ).filter((entry) => entry.name === 'my-model');
    expect(custom).toMatchObject([{ source: 'custom', status: 'active' }]);
    const modelCredentials = await listCredentials(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
      model,
    });
    expect(modelCredentials.map((credential) => credential.active)).toEqual([true, false]);
    const unknown = await coreError(
      addCustomModel(core, ws.admin, {
        workspaceId: ws.workspaceId,
        provider: 'openai',
        model: { name: 'no-such-model', type: 'llm' },
        credential: { values: openaiValues(KEY_ONE) },
      }),
    );
    expect(unknown.code).toBe('BAD_REQUEST');
    expect(Object.keys(unknown.fieldErrors ?? {})).toHaveLength(1);
    const wrongType = await coreError(
      addCustomModel(core, ws.admin, {
        workspaceId: ws.workspaceId,
        provider: 'openai',
        model: { name: 'my-reranker', type: 'rerank' },
        credential: { values: openaiValues(KEY_ONE) },
      }),
    );
    expect(wrongType.code).toBe('BAD_REQUEST');
  });

  it('keeps credentials of a removed model, lists them in manage credentials, and re-adds without retyping', async () => {
    const { ws } = await openaiWorkspace();
    for (const credential of [
      { values: openaiValues(KEY_ONE) },
      { name: 'staging', values: openaiValues(KEY_TWO) },
    ])
      await addCustomModel(core, ws.admin, {
        workspaceId: ws.workspaceId,
        provider: 'openai',
        model: { name: 'my-model', type: 'llm' },
        credential,
      });
    const model = { name: 'my-model', type: 'llm' as const };
    const removed = await removeModel(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
      model,
    });
    expect(removed.keptCredentials).toBe(2);
    expect(
      (await listModels(core, ws.member, { workspaceId: ws.workspaceId })).some(
        (entry) => entry.name === 'my-model',
      ),
    ).toBe(false);
    const managed = await manageCredentials(core, ws.editor, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
    });
    expect(managed).toMatchObject([{ model, removed: true, source: 'custom' }]);
    expect(managed[0]?.credentials.map((credential) => credential.name)).toEqual(['API key 1', 'staging']);
    const requests = openaiUpstream.requests.length;
    const readded = await addCustomModel(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
      model,
    });
    expect(readded).toMatchObject({
      restored: true,
      attached: false,
      credential: { name: 'API key 1', active: true, model },
    });
    expect(openaiUpstream.requests.length).toBe(requests);
    const resolved = await resolveModel(core, ws.workspaceId, 'llm', 'openai/my-model');
    expect(resolved.credential.values.api_key).toBe(KEY_ONE);
  });

  it('re-adds a removed model from manage credentials with one of its kept keys, or adds one with a provider key', async () => {
    const { ws } = await openaiWorkspace(KEY_ONE);
    const model = { name: 'gpt-4.1-mini', type: 'llm' as const };
    const llama = { name: 'llama3.2:latest', type: 'llm' as const };
    const added = await addCustomModel(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
      model: llama,
      credential: { values: openaiValues(KEY_ONE) },
    });
    await removeModel(core, ws.admin, { workspaceId: ws.workspaceId, provider: 'openai', model: llama });
    const managed = await manageCredentials(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
    });
    const kept = managed.find((entry) => entry.model.name === llama.name)?.credentials[0];
    expect(kept?.id).toBe(added.credential?.id);
    const readded = await addCustomModel(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
      model: llama,
      credential: { credentialId: kept?.id as string },
    });
    expect(readded).toMatchObject({ restored: true, credential: { id: kept?.id, active: true } });
    await removeCredential(core, ws.admin, { workspaceId: ws.workspaceId, credentialId: kept?.id as string });

    const [providerKey] = await listCredentials(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
    });
    const copied = await addCustomModel(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
      model,
      credential: { credentialId: providerKey?.id as string },
    });
    expect(copied.credential).toMatchObject({
      name: providerKey?.name,
      model,
      values: { api_key: maskSecret(KEY_ONE) },
    });
    expect(copied.credential?.id).not.toBe(providerKey?.id);
    await removeCredential(core, ws.admin, {
      workspaceId: ws.workspaceId,
      credentialId: copied.credential?.id as string,
    });
  });

  it('removes a custom model with its only credential', async () => {
    const { ws } = await openaiWorkspace(KEY_ONE);
    const model = { name: 'ft:gpt-4o-mini-2024-07-18:acme::support', type: 'llm' as const };
    const added = await addCustomModel(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
      model,
      credential: { values: openaiValues(KEY_ONE) },
    });
    const result = await removeCredential(core, ws.admin, {
      workspaceId: ws.workspaceId,
      credentialId: added.credential?.id as string,
    });
    expect(result).toMatchObject({ modelRemoved: true });
    const models = await listModels(core, ws.member, { workspaceId: ws.workspaceId });
    expect(models.some((entry) => entry.name === model.name)).toBe(false);
    const managed = await manageCredentials(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
    });
    expect(managed.some((entry) => entry.model.name === model.name)).toBe(false);
  });

  it('discovers the models a server has loaded and adds several in one step', async () => {
    const ws = await createTestWorkspace(core);
    await installProvider(core, ws.admin, { workspaceId: ws.workspaceId, provider: 'ollama' });
    const values = { base_url: ollamaUpstream.url };
    const found = await discoverModels(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'ollama',
      values,
    });
    expect(found.map((model) => [model.name, model.type, model.added])).toEqual([
      ['llama3.2:latest', 'llm', false],
      ['llava:7b', 'llm', false],
      ['nomic-embed-text:latest', 'text-embedding', false],
    ]);
    const added = await addDiscoveredModels(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'ollama',
      values,
      models: [
        { name: 'llama3.2:latest', type: 'llm' },
        { name: 'nomic-embed-text:latest', type: 'text-embedding' },
      ],
    });
    expect(added.added).toHaveLength(2);
    const again = await discoverModels(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'ollama',
      values,
    });
    expect(again.map((model) => model.added)).toEqual([true, false, true]);
    const models = await listModels(core, ws.member, { workspaceId: ws.workspaceId, provider: 'ollama' });
    expect(models.map((model) => [model.name, model.source, model.status])).toEqual([
      ['llama3.2:latest', 'discovered', 'active'],
      ['nomic-embed-text:latest', 'discovered', 'active'],
    ]);
  });

  it('enables and disables models, with versions', async () => {
    const { ws } = await openaiWorkspace(KEY_ONE);
    const model = { name: 'gpt-4o-mini', type: 'llm' as const };
    const disabled = await setModelEnabled(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
      model,
      enabled: false,
    });
    expect(disabled).toEqual({ enabled: false, version: 1 });
    const listed = await listModels(core, ws.member, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
      type: 'llm',
    });
    expect(listed.find((entry) => entry.name === 'gpt-4o-mini')).toMatchObject({
      status: 'disabled',
      enabled: false,
    });
    expect(
      (await coreError(resolveModel(core, ws.workspaceId, 'llm', 'openai/gpt-4o-mini'))).message,
    ).toMatch(/disabled/);
    const stale = await coreError(
      setModelEnabled(core, ws.admin, {
        workspaceId: ws.workspaceId,
        provider: 'openai',
        model,
        enabled: true,
        version: 0,
      }),
    );
    expect(stale.code).toBe('CONFLICT');
    await setModelEnabled(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
      model,
      enabled: true,
      version: 1,
    });
    await expect(resolveModel(core, ws.workspaceId, 'llm', 'openai/gpt-4o-mini')).resolves.toMatchObject({
      model: 'gpt-4o-mini',
    });
  });

  it('balances a model over weighted credentials, validates weights, and shows cooldowns', async () => {
    const { ws } = await openaiWorkspace(KEY_ONE);
    const second = await createCredential(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
      name: 'backup',
      values: openaiValues(KEY_TWO),
    });
    const model = { name: 'gpt-4.1-mini', type: 'llm' as const };
    const current = await getLoadBalancing(core, ws.member, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
      model,
    });
    expect(current.enabled).toBe(false);
    expect(current.credentials).toHaveLength(2);
    const [first] = current.credentials;
    if (!first) throw new Error('credential expected');
    const one = await coreError(
      setLoadBalancing(core, ws.admin, {
        workspaceId: ws.workspaceId,
        provider: 'openai',
        model,
        enabled: true,
        credentials: [{ credentialId: first.credentialId, weight: 1 }],
      }),
    );
    expect(one.fieldErrors?.credentials?.[0]).toMatch(/two or more/);
    const weights = await coreError(
      setLoadBalancing(core, ws.admin, {
        workspaceId: ws.workspaceId,
        provider: 'openai',
        model,
        enabled: true,
        credentials: [
          { credentialId: first.credentialId, weight: 0 },
          { credentialId: second.id, weight: 2.5 },
        ],
      }),
    );
    expect(Object.keys(weights.fieldErrors ?? {})).toEqual(['credentials.0.weight', 'credentials.1.weight']);
    const saved = await setLoadBalancing(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
      model,
      enabled: true,
      credentials: [
        { credentialId: first.credentialId, weight: 3 },
        { credentialId: second.id, weight: 1 },
      ],
    });
    expect(saved.credentials.map((entry) => [entry.weight, entry.included, entry.cooldownUntil])).toEqual([
      [3, true, null],
      [1, true, null],
    ]);
    const resolved = await resolveModel(core, ws.workspaceId, 'llm', 'openai/gpt-4.1-mini');
    expect(resolved.loadBalancing?.credentials.map((entry) => [entry.id, entry.weight])).toEqual([
      [first.credentialId, 3],
      [second.id, 1],
    ]);

    // The gateway fills cooldowns; here they are written the way it will.
    const until = new Date(Date.now() + 60_000).toISOString();
    for (const credentialId of [first.credentialId, second.id]) {
      await core.db
        .insertInto('credential_cooldowns')
        .values({
          credential_id: credentialId,
          workspace_id: ws.workspaceId,
          until,
          reason: 'HTTP 429 from upstream',
          failures: 1,
          updated_at: until,
        })
        .execute();
    }
    const cooling = await getLoadBalancing(core, ws.member, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
      model,
    });
    expect(cooling.credentials.map((entry) => entry.cooldownUntil)).toEqual([until, until]);
    const status = (
      await listModels(core, ws.member, { workspaceId: ws.workspaceId, provider: 'openai' })
    ).find((entry) => entry.name === model.name);
    expect(status).toMatchObject({ status: 'cooling-down', loadBalancing: true });
    // Two keys resting for the same reason: the reason is said once.
    expect(status?.reason.match(/HTTP 429 from upstream/g)).toHaveLength(1);
  });

  it('rests a credential in cooldown, counting failures, until it is proven again', async () => {
    const { ws } = await openaiWorkspace(KEY_ONE);
    const [credential] = await listCredentials(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
    });
    if (!credential) throw new Error('credential expected');
    const model = { name: 'gpt-4o-mini', type: 'llm' as const };
    await resolveModel(core, ws.workspaceId, 'llm', 'openai/gpt-4o-mini');
    const until = new Date(Date.now() + 60_000);
    await startCooldown(core, {
      workspaceId: ws.workspaceId,
      credentialId: credential.id,
      until,
      reason: 'HTTP 429',
    });
    const again = await startCooldown(core, {
      workspaceId: ws.workspaceId,
      credentialId: credential.id,
      until,
      reason: 'HTTP 429',
    });
    expect(again).toEqual({ until: until.toISOString(), failures: 2 });
    const listed = await listModels(core, ws.member, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
      type: 'llm',
    });
    expect(listed.find((entry) => entry.name === model.name)).toMatchObject({ status: 'cooling-down' });
    // Resolved with the key's rest, so the gateway can answer with a Retry-After.
    const resting = await resolveModel(core, ws.workspaceId, 'llm', 'openai/gpt-4o-mini');
    expect(resting.credential.cooldownUntilMs).toBe(until.getTime());
    await revalidateCredential(core, ws.admin, { workspaceId: ws.workspaceId, credentialId: credential.id });
    await expect(resolveModel(core, ws.workspaceId, 'llm', 'openai/gpt-4o-mini')).resolves.toMatchObject({
      credential: { id: credential.id },
    });
  });

  it('reads defaults without writing, sets only usable models, and reports removed or disabled ones', async () => {
    const { ws } = await openaiWorkspace(KEY_ONE);
    await addCustomModel(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
      model: { name: 'my-model', type: 'llm' },
      credential: { values: openaiValues(KEY_ONE) },
    });
    const audit = () =>
      core.db.selectFrom('audit_log').select('id').where('workspace_id', '=', ws.workspaceId).execute();
    const auditBefore = await audit();
    const empty = await getDefaultModels(core, ws.member, { workspaceId: ws.workspaceId });
    expect(Object.values(empty)).toEqual([null, null, null, null, null]);
    expect(
      await core.db
        .selectFrom('default_models')
        .selectAll()
        .where('workspace_id', '=', ws.workspaceId)
        .execute(),
    ).toEqual([]);
    expect((await audit()).length).toBe(auditBefore.length);

    expect(
      (
        await coreError(
          setDefaultModel(core, ws.admin, {
            workspaceId: ws.workspaceId,
            provider: 'openai',
            model: { name: 'nope', type: 'llm' },
          }),
        )
      ).code,
    ).toBe('NOT_FOUND');
    expect(
      (
        await coreError(
          setDefaultModel(core, ws.admin, {
            workspaceId: ws.workspaceId,
            provider: 'openai',
            model: { name: 'gpt-4o-mini', type: 'text-embedding' },
          }),
        )
      ).code,
    ).toBe('NOT_FOUND');
    expect(
      (
        await coreError(
          setDefaultModel(core, ws.editor, {
            workspaceId: ws.workspaceId,
            provider: 'openai',
            model: { name: 'gpt-4o-mini', type: 'llm' },
          }),
        )
      ).code,
    ).toBe('FORBIDDEN');

    const set = await setDefaultModel(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
      model: { name: 'my-model', type: 'llm' },
    });
    expect(set).toMatchObject({ status: 'active', model: 'my-model', version: 1 });
    await expect(resolveModel(core, ws.workspaceId, 'llm')).resolves.toMatchObject({
      provider: 'openai',
      model: 'my-model',
    });
    await expect(resolveModel(core, ws.workspaceId, 'llm', 'default')).resolves.toMatchObject({
      model: 'my-model',
    });

    await removeModel(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
      model: { name: 'my-model', type: 'llm' },
    });
    const removed = await getDefaultModels(core, ws.member, { workspaceId: ws.workspaceId });
    expect(removed.llm).toMatchObject({ provider: 'openai', model: 'my-model', status: 'model-removed' });
    expect(removed.llm?.reason).toMatch(/removed/);
    expect((await coreError(resolveModel(core, ws.workspaceId, 'llm'))).message).toMatch(
      /default llm model openai\/my-model is unavailable/,
    );

    await setDefaultModel(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
      model: { name: 'gpt-4o-mini', type: 'llm' },
      version: 1,
    });
    await setModelEnabled(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
      model: { name: 'gpt-4o-mini', type: 'llm' },
      enabled: false,
    });
    const disabled = await getDefaultModels(core, ws.member, { workspaceId: ws.workspaceId });
    expect(disabled.llm).toMatchObject({ model: 'gpt-4o-mini', status: 'disabled' });
    const refused = await coreError(
      setDefaultModel(core, ws.admin, {
        workspaceId: ws.workspaceId,
        provider: 'openai',
        model: { name: 'gpt-4o-mini', type: 'llm' },
      }),
    );
    expect(refused.code).toBe('BAD_REQUEST');
    expect(refused.message).toMatch(/Disabled/);
    const stale = await coreError(
      setDefaultModel(core, ws.admin, {
        workspaceId: ws.workspaceId,
        provider: 'openai',
        model: { name: 'gpt-4.1-mini', type: 'llm' },
        version: 1,
      }),
    );
    expect(stale.code).toBe('CONFLICT');
    const cleared = await clearDefaultModel(core, ws.admin, { workspaceId: ws.workspaceId, type: 'llm' });
    expect(cleared).toBeNull();
    expect((await getDefaultModels(core, ws.member, { workspaceId: ws.workspaceId })).llm).toBeNull();
  });

  it('resolves bare names when unambiguous, and names what to fix otherwise', async () => {
    const { ws } = await openaiWorkspace(KEY_ONE);
    await installProvider(core, ws.admin, { workspaceId: ws.workspaceId, provider: 'ollama' });
    await addDiscoveredModels(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'ollama',
      values: { base_url: ollamaUpstream.url },
      models: [
        { name: 'llama3.2:latest', type: 'llm' },
        { name: 'nomic-embed-text:latest', type: 'text-embedding' },
      ],
    });
    await expect(
      resolveModel(core, ws.workspaceId, 'text-embedding', 'nomic-embed-text:latest'),
    ).resolves.toMatchObject({ provider: 'ollama' });
    expect((await coreError(resolveModel(core, ws.workspaceId, 'llm', 'openai/no-such'))).code).toBe(
      'NOT_FOUND',
    );
    expect((await coreError(resolveModel(core, ws.workspaceId, 'rerank'))).message).toMatch(
      /No default rerank model/,
    );
    await addCustomModel(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
      model: { name: 'llama3.2:latest', type: 'llm' },
      credential: { values: openaiValues(KEY_ONE) },
    });
    const ambiguous = await coreError(resolveModel(core, ws.workspaceId, 'llm', 'llama3.2:latest'));
    expect(ambiguous.code).toBe('BAD_REQUEST');
    expect(ambiguous.message).toMatch(
      /ambiguous.*ollama\/llama3.2:latest.*openai\/llama3.2:latest|ambiguous.*openai\/llama3.2:latest.*ollama\/llama3.2:latest/,
    );
    await expect(resolveModel(core, ws.workspaceId, 'llm', 'ollama/llama3.2:latest')).resolves.toMatchObject({
      provider: 'ollama',
    });
  });

  it('refuses to uninstall a provider with credentials unless confirmed, then removes all but its defaults', async () => {
    const ws = await createTestWorkspace(core);
    await installProvider(core, ws.admin, { workspaceId: ws.workspaceId, provider: 'cohere' });
    await createCredential(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'cohere',
      values: { api_key: 'sk-test-cohere-0001', base_url: cohereUpstream.url },
    });
    await setDefaultModel(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'cohere',
      model: { name: 'rerank-v4.0-pro', type: 'rerank' },
    });
    const refused = await coreError(
      uninstallProvider(core, ws.admin, { workspaceId: ws.workspaceId, provider: 'cohere' }),
    );
    expect(refused.code).toBe('PRECONDITION_FAILED');
    expect(refused.message).toMatch(/removes its 1 credential/);
    const result = await uninstallProvider(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'cohere',
      confirm: true,
    });
    expect(result).toMatchObject({ removedCredentials: 1, keptDefaults: 1 });
    expect(
      await core.db
        .selectFrom('provider_credentials')
        .selectAll()
        .where('workspace_id', '=', ws.workspaceId)
        .execute(),
    ).toEqual([]);
    // A default whose provider is gone is reported, never silently replaced.
    expect((await getDefaultModels(core, ws.member, { workspaceId: ws.workspaceId })).rerank).toMatchObject({
      provider: 'cohere',
      model: 'rerank-v4.0-pro',
      status: 'provider-removed',
    });
    const audit = await core.db
      .selectFrom('audit_log')
      .selectAll()
      .where('workspace_id', '=', ws.workspaceId)
      .where('action', '=', 'provider.uninstall')
      .execute();
    expect(audit).toHaveLength(1);
  });
});

describe.each(ENGINES)('concurrent changes on %s', (engine) => {
  let core: Core;
  let upstream: FakeUpstream;
  const values = (key: string) => ({ api_key: key, base_url: `${upstream.url}/v1` });

  /** A workspace of its own with OpenAI installed. */
  async function openaiWorkspace(): Promise<TestWorkspace> {
    const ws = await createTestWorkspace(core);
    await installProvider(core, ws.owner, { workspaceId: ws.workspaceId, provider: 'openai' });
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

  it('keeps exactly one active credential when two admins add the first ones at once', async () => {
    const ws = await openaiWorkspace();
    const results = await Promise.allSettled([
      createCredential(core, ws.owner, {
        workspaceId: ws.workspaceId,
        provider: 'openai',
        name: 'one',
        values: values('sk-test-openai-0001'),
      }),
      createCredential(core, ws.admin, {
        workspaceId: ws.workspaceId,
        provider: 'openai',
        name: 'two',
        values: values('sk-test-openai-0002'),
      }),
    ]);
    for (const result of results) {
      if (result.status === 'rejected') expect(result.reason).toMatchObject({ code: 'CONFLICT' });
    }
    const listed = await listCredentials(core, ws.admin, { workspaceId: ws.workspaceId, provider: 'openai' });
    expect(listed.filter((credential) => credential.active)).toHaveLength(1);
  });

  it('lets only one of two updates with the same version through', async () => {
    const ws = await openaiWorkspace();
    const credential = await createCredential(core, ws.admin, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
      values: values('sk-test-openai-0001'),
    });
    const results = await Promise.allSettled(
      ['first', 'second'].map((name) =>
        updateCredential(core, ws.admin, {
          workspaceId: ws.workspaceId,
          credentialId: credential.id,
          version: credential.version,
          name,
        }),
      ),
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((result) => result.status === 'rejected')).toMatchObject({
      reason: { code: 'CONFLICT' },
    });
  });
});

describe('a provider that serves a fixed set of models', () => {
  it('refuses custom models', async () => {
    // Every shipped adapter accepts custom models; this is OpenAI's real adapter with that option off.
    const openai = (await realAdapters()).find((adapter) => adapter.manifest.id === 'openai');
    if (!openai) throw new Error('OpenAI adapter expected');
    const fixed = {
      ...openai,
      manifest: { ...openai.manifest, configurationMethods: ['predefined' as const] },
    };
    const core = await createTestCore('sqlite', { providers: [fixed] });
    try {
      const ws = await createTestWorkspace(core);
      await installProvider(core, ws.admin, { workspaceId: ws.workspaceId, provider: 'openai' });
      const refused = await coreError(
        addCustomModel(core, ws.admin, {
          workspaceId: ws.workspaceId,
          provider: 'openai',
          model: { name: 'my-model', type: 'llm' },
          credential: { values: { api_key: 'sk-test-openai-0001' } },
        }),
      );
      expect(refused.code).toBe('BAD_REQUEST');
      expect(refused.message).toMatch(/fixed set of models/);
    } finally {
      await core.close();
    }
  });
});
