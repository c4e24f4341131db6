import { ENGINES, type FakeUpstream } from '@switchboard/test-utils';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { applied, parseValid } from '../../test/config-kit.ts';
import { createTestCore } from '../../test/test-core.ts';
import type { Core } from '../core.ts';
import { maskSecret } from '../crypto/mask.ts';
import { getDefaultModels } from '../provider-management/defaults.ts';
import { listCredentials } from '../provider-management/credentials.ts';
import { listModels, manageCredentials } from '../provider-management/models.ts';
import { listProviders } from '../provider-management/catalog.ts';
import {
  createTestWorkspace,
  realAdapters,
  startOllamaUpstream,
  startOpenAIFormatUpstream,
  type TestWorkspace,
} from '../../test/provider-kit.ts';
import { type ApplyFailure, type ApplyResult, applyConfig, ConfigProblemsError, planApply } from './apply.ts';
import { exportConfig } from './export.ts';
import { parseConfigFile } from './schema.ts';

const KEY_MAIN = 'sk-test-openai-0001';
const KEY_SPARE = 'sk-test-openai-0002';
const KEY_TUNED = 'sk-test-openai-0003';
const KEY_BAD = 'sk-test-bad-0004';

/** The problems `planApply` rejects with (fails the test when it resolves or throws anything else). */
async function problemsOf(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConfigProblemsError);
  return (error as ConfigProblemsError).problems;
}

/** The problems `applyConfig` returns; fails the test when it applied. */
async function applyProblems(promise: Promise<ApplyResult | ApplyFailure>) {
  const result = await promise;
  if (!('problems' in result))
    throw new Error(`expected problems, got changes: ${JSON.stringify(result.changes)}`);
  expect(result.applied).toEqual([]);
  return result.problems;
}

describe('parseConfigFile', () => {
  it('reads the documented shape', () => {
    const result = parseConfigFile(`
workspace: Acme
providers:
  openai-compatible:
    credentials:
      - name: local
        values: { base_url: "http://127.0.0.1:11434/v1", api_key: { env: LOCAL_KEY } }
        active: true
    models:
      - { name: my-model, type: llm, credential: local }
defaults:
  llm: openai-compatible/my-model
`);
    expect(result).toEqual({
      config: {
        workspace: 'Acme',
        prune: false,
        providers: {
          'openai-compatible': {
            credentials: [
              {
                name: 'local',
                values: { base_url: 'http://127.0.0.1:11434/v1', api_key: { env: 'LOCAL_KEY' } },
                active: true,
              },
            ],
            models: [{ name: 'my-model', type: 'llm', credential: 'local' }],
          },
        },
        defaults: { llm: 'openai-compatible/my-model' },
      },
    });
  });

  it('refuses an invalid file as a whole, listing every problem by path', () => {
    const result = parseConfigFile(`
workspace: Acme
colour: blue
providers:
  openai-compatible:
    credentials:
      - name: local
        values: { base_url: ["http://127.0.0.1:11434/v1"], api_key: { env: "not a name" } }
        active: true
      - name: local
        values: {}
        active: true
    models:
      - { name: my-model, type: chat, credential: local }
      - { name: other, type: llm, credential: missing }
defaults:
  llm: my-model
  vision: openai/gpt-4o
`);
    expect('problems' in result && result.problems).toEqual([
      {
        path: 'providers.openai-compatible.credentials[0].values.base_url',
        message: 'must be text, a number, true/false, or { env: NAME }',
      },
      {
        path: 'providers.openai-compatible.credentials[0].values.api_key.env',
        message: 'must be an environment variable name (letters, digits, underscores)',
      },
      {
        path: 'providers.openai-compatible.models[0].type',
        message: expect.stringContaining('expected one of'),
      },
      { path: 'defaults.llm', message: 'must be provider/model' },
      { path: 'defaults.vision', message: 'unknown key' },
      { path: 'colour', message: 'unknown key' },
    ]);
  });

  it('checks names and references once the structure is right', () => {
    const result = parseConfigFile(`
workspace: Acme
providers:
  openai:
    credentials:
      - { name: main, values: {}, active: true }
      - { name: main, values: {}, active: true }
    models:
      - { name: ft-one, type: llm, credential: missing }
      - { name: ft-one, type: llm, credential: main }
`);
    expect('problems' in result && result.problems).toEqual([
      { path: 'providers.openai.credentials[1].name', message: '"main" appears twice' },
      { path: 'providers.openai.credentials', message: 'only one credential can be active' },
      {
        path: 'providers.openai.models[0].credential',
        message: 'no credential named "missing" in providers.openai.credentials',
      },
      { path: 'providers.openai.models[1].name', message: 'ft-one (llm) appears twice' },
    ]);
  });

  it('reports YAML syntax errors', () => {
    const result = parseConfigFile('workspace: [Acme\n');
    expect('problems' in result && result.problems[0]?.path).toBe('(file)');
  });
});

describe.each(ENGINES)('configuration as code on %s', (engine) => {
  let core: Core;
  let openaiUpstream: FakeUpstream;
  let ollamaUpstream: FakeUpstream;
  let ws: TestWorkspace;
  let env: Record<string, string>;

  const file = (overrides: { mainKeyVariable?: string; extra?: string } = {}) => `
workspace: ${ws.workspaceId}
providers:
  openai:
    credentials:
      - name: main
        values: { api_key: { env: ${overrides.mainKeyVariable ?? 'OPENAI_MAIN_KEY'} }, base_url: "${openaiUpstream.url}/v1" }
        active: true
      - name: spare
        values: { api_key: { env: OPENAI_SPARE_KEY }, base_url: "${openaiUpstream.url}/v1" }
    models:
      - { name: "ft:gpt-4o-mini-2024-07-18:acme::support", type: llm, credential: main }
      - name: my-model
        type: llm
        credentials:
          - { name: tuned, values: { api_key: { env: OPENAI_TUNED_KEY }, base_url: "${openaiUpstream.url}/v1" } }
      - { name: tts-1, type: tts, enabled: false }
  ollama:
    credentials:
      - { name: local, values: { base_url: "${ollamaUpstream.url}" } }
    models:
      - { name: "llama3.2:latest", type: llm, credential: local }
defaults:
  llm: openai/gpt-4o-mini
  text-embedding: openai/text-embedding-3-small
${overrides.extra ?? ''}`;

  beforeAll(async () => {
    [openaiUpstream, ollamaUpstream] = await Promise.all([
      startOpenAIFormatUpstream(),
      startOllamaUpstream(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([openaiUpstream.close(), ollamaUpstream.close()]);
  });
  beforeEach(async () => {
    core = await createTestCore(engine, { providers: await realAdapters() });
    ws = await createTestWorkspace(core);
    env = { OPENAI_MAIN_KEY: KEY_MAIN, OPENAI_SPARE_KEY: KEY_SPARE, OPENAI_TUNED_KEY: KEY_TUNED };
    return () => core.close();
  });

  it('makes the workspace match the file through the services, and a second run changes nothing', async () => {
    const config = parseValid(file());
    const planned = await planApply(core, config, env);
    const result = await applied(applyConfig(core, ws.admin, config, env));
    expect(result.changes).toEqual(planned);
    expect(result.changes.map((change) => change.action)).toEqual([
      'install-provider',
      'create-credential',
      'create-credential',
      'add-model',
      'add-model',
      'disable-model',
      'install-provider',
      'create-credential',
      'add-model',
      'set-default',
      'set-default',
    ]);
    expect(JSON.stringify(result)).not.toContain('sk-test');

    const providers = await listProviders(core, ws.member, { workspaceId: ws.workspaceId });
    const openai = providers.find((provider) => provider.id === 'openai');
    expect(openai?.credentials.map((credential) => [credential.name, credential.active])).toEqual([
      ['main', true],
      ['spare', false],
    ]);
    const models = await listModels(core, ws.member, { workspaceId: ws.workspaceId });
    const status = (provider: string, name: string) =>
      models.find((model) => model.provider === provider && model.name === name)?.status;
    expect(status('openai', 'ft:gpt-4o-mini-2024-07-18:acme::support')).toBe('active');
    expect(status('openai', 'my-model')).toBe('active');
    expect(status('openai', 'tts-1')).toBe('disabled');
    expect(status('ollama', 'llama3.2:latest')).toBe('active');
    const modelKeys = await manageCredentials(core, ws.member, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
    });
    expect(
      modelKeys.map((group) => [group.model.name, group.credentials.map((credential) => credential.name)]),
    ).toEqual([
      ['ft:gpt-4o-mini-2024-07-18:acme::support', ['main']],
      ['my-model', ['tuned']],
    ]);
    const defaults = await getDefaultModels(core, ws.member, { workspaceId: ws.workspaceId });
    expect([defaults.llm?.model, defaults.llm?.status, defaults['text-embedding']?.model]).toEqual([
      'gpt-4o-mini',
      'active',
      'text-embedding-3-small',
    ]);

    const again = await applied(applyConfig(core, ws.admin, config, env));
    expect(again.changes).toEqual([]);
  });

  it('changes only what differs: a new key is validated and stored, left-out entries are removed', async () => {
    await applied(applyConfig(core, ws.admin, parseValid(file()), env));
    const changed = parseValid(
      file()
        .replace(/ {6}- name: spare\n.*\n/, '')
        .replace('      - { name: tts-1, type: tts, enabled: false }\n', ''),
    );
    const rotated = { ...env, OPENAI_MAIN_KEY: 'sk-test-openai-0009' };
    const dryRun = await applied(applyConfig(core, ws.admin, changed, rotated, { dryRun: true }));
    expect(dryRun.changes.map((change) => change.description)).toEqual([
      'update credential "main" of openai (api_key)',
      'remove credential "spare" of openai',
      'update credential "main" of openai/ft:gpt-4o-mini-2024-07-18:acme::support (llm) (api_key)',
      'enable model openai/tts-1 (tts)',
    ]);
    // A dry run changes nothing.
    expect((await planApply(core, changed, rotated)).length).toBe(4);

    await applied(applyConfig(core, ws.admin, changed, rotated));
    const credentials = await listCredentials(core, ws.member, {
      workspaceId: ws.workspaceId,
      provider: 'openai',
    });
    expect(credentials.map((credential) => [credential.name, credential.values.api_key])).toEqual([
      ['main', maskSecret('sk-test-openai-0009')],
    ]);
    expect(await planApply(core, changed, rotated)).toEqual([]);

    const withoutModel = parseValid(file().replace(/ {6}- name: my-model\n(.*\n){3}/, ''));
    const removal = await applied(applyConfig(core, ws.admin, withoutModel, env));
    expect(removal.changes.map((change) => change.description)).toContain(
      'remove model openai/my-model (llm); its credentials are kept',
    );
    // Putting it back re-adds it with the credential it kept: no key typed again, no validation needed.
    const back = await applied(applyConfig(core, ws.admin, parseValid(file()), env));
    expect(back.changes.map((change) => change.action)).toEqual(['restore-model']);
  });

  it('refuses the whole file when an environment variable is missing or a secret is written in it; nothing is applied', async () => {
    const problems = await applyProblems(
      applyConfig(
        core,
        ws.admin,
        parseValid(
          file({ extra: '' }).replace(
            '{ api_key: { env: OPENAI_SPARE_KEY }',
            '{ api_key: "sk-test-openai-0002"',
          ),
        ),
        { OPENAI_MAIN_KEY: KEY_MAIN },
      ),
    );
    expect(problems).toEqual([
      {
        path: 'providers.openai.credentials[1].values.api_key',
        message: expect.stringContaining('never written in the file'),
      },
      {
        path: 'providers.openai.models[1].credentials[0].values.api_key',
        message: 'environment variable OPENAI_TUNED_KEY is not set',
      },
    ]);
    expect(JSON.stringify(problems)).not.toContain('sk-test');
    expect(await listProviders(core, ws.admin, { workspaceId: ws.workspaceId })).toEqual([]);
  });

  it('lists every credential the provider rejects, at its path, before changing anything', async () => {
    const problems = await applyProblems(
      applyConfig(core, ws.admin, parseValid(file()), {
        ...env,
        OPENAI_MAIN_KEY: KEY_BAD,
        OPENAI_TUNED_KEY: KEY_BAD,
      }),
    );
    expect(problems.map((problem) => problem.path)).toEqual([
      'providers.openai.credentials[0].values.api_key',
      'providers.openai.credentials[0].values.api_key',
      'providers.openai.models[1].credentials[0].values.api_key',
    ]);
    expect(problems[0]?.message).toMatch(/key/i);
    expect(await listProviders(core, ws.admin, { workspaceId: ws.workspaceId })).toEqual([]);
  });

  it('reports problems the workspace reveals: unknown provider, model type, missing credential, unknown field, unknown default', async () => {
    const problems = await problemsOf(
      planApply(
        core,
        parseValid(`
workspace: ${ws.workspaceId}
providers:
  not-a-provider: {}
  ollama:
    credentials:
      - { name: local, values: { base_url: "${ollamaUpstream.url}", colour: blue } }
    models:
      - { name: speaker, type: tts, credential: local }
      - { name: "llava:7b", type: llm }
defaults:
  llm: openai/no-such-model
`),
        {},
      ),
    );
    expect(problems).toEqual([
      { path: 'providers.not-a-provider', message: expect.stringContaining('unknown provider') },
      {
        path: 'providers.ollama.credentials[0].values.colour',
        message: expect.stringContaining('Unknown field'),
      },
      {
        path: 'providers.ollama.models[0].type',
        message: 'Ollama has no tts models; it serves llm, text-embedding',
      },
      {
        path: 'providers.ollama.models[1].credential',
        message: expect.stringContaining('a custom model needs a credential'),
      },
      {
        path: 'defaults.llm',
        message: 'openai/no-such-model is not a llm model of this workspace or of the file',
      },
    ]);
    expect(await problemsOf(planApply(core, parseValid('workspace: Nowhere'), {}))).toEqual([
      { path: 'workspace', message: 'no workspace named "Nowhere"' },
    ]);
  });

  it('applies the documented example to an OpenAI-compatible server', async () => {
    const config = parseValid(`
workspace: Acme
providers:
  openai-compatible:
    credentials:
      - name: local
        values: { base_url: "${openaiUpstream.url}/v1", api_key: { env: LOCAL_KEY } }
        active: true
    models:
      - { name: my-model, type: llm, credential: local }
defaults:
  llm: openai-compatible/my-model
`);
    const localEnv = { LOCAL_KEY: 'sk-test-local-0001' };
    const result = await applied(applyConfig(core, ws.admin, config, localEnv));
    expect(result.changes.map((change) => change.description)).toEqual([
      'install provider openai-compatible',
      'create credential "local" of openai-compatible',
      'add model openai-compatible/my-model (llm) with credential "local"',
      'set the default llm model to openai-compatible/my-model',
    ]);
    const defaults = await getDefaultModels(core, ws.member, { workspaceId: ws.workspaceId });
    expect([defaults.llm?.model, defaults.llm?.status]).toEqual(['my-model', 'active']);
    expect(await planApply(core, config, localEnv)).toEqual([]);
    const exported = parseValid(await exportConfig(core, ws.workspaceId));
    expect(exported.providers?.['openai-compatible']?.models).toEqual([
      { name: 'my-model', type: 'llm', credential: 'local' },
    ]);
    expect(
      await planApply(core, exported, { OPENAI_COMPATIBLE_LOCAL_API_KEY: 'sk-test-local-0001' }),
    ).toEqual([]);
  });

  it('rotates a shared key everywhere it was copied, and prunes providers the file leaves out when asked', async () => {
    const text = (prune: boolean) => `
workspace: ${ws.workspaceId}
prune: ${prune}
providers:
  openai-compatible:
    credentials:
      - name: local
        values: { base_url: "${openaiUpstream.url}/v1", api_key: { env: LOCAL_KEY } }
    models:
      - { name: my-model, type: llm, credential: local }
`;
    await applied(applyConfig(core, ws.admin, parseValid(text(false)), { LOCAL_KEY: 'sk-test-local-0001' }));
    await applied(applyConfig(core, ws.admin, parseValid(file()), env));
    const rotated = await applied(
      applyConfig(core, ws.admin, parseValid(text(true)), { LOCAL_KEY: 'sk-test-local-0002' }),
    );
    expect(rotated.changes.map((change) => change.description)).toEqual([
      'update credential "local" of openai-compatible (api_key)',
      'update credential "local" of openai-compatible/my-model (llm) (api_key)',
      'uninstall provider openai with its credentials and models',
      'uninstall provider ollama with its credentials and models',
    ]);
    const providers = await listProviders(core, ws.member, { workspaceId: ws.workspaceId });
    expect(providers.map((provider) => provider.id)).toEqual(['openai-compatible']);
    const keys = await manageCredentials(core, ws.member, {
      workspaceId: ws.workspaceId,
      provider: 'openai-compatible',
    });
    expect(keys[0]?.credentials[0]?.values.api_key).toBe(maskSecret('sk-test-local-0002'));
  });

  it('only lets owners and admins apply', async () => {
    const problems = await applyProblems(applyConfig(core, ws.editor, parseValid(file()), env));
    expect(problems[0]?.message).toMatch(/owner or an admin/);
    expect(await listProviders(core, ws.admin, { workspaceId: ws.workspaceId })).toEqual([]);
  });

  it('exports the configuration without secrets, and the export applies back with no changes', async () => {
    await applied(applyConfig(core, ws.admin, parseValid(file()), env));
    const exported = await exportConfig(core, 'Acme');
    expect(exported).not.toContain('sk-test');
    const config = parseValid(exported);
    expect(config.workspace).toBe('Acme');
    expect(config.providers?.openai?.credentials).toEqual([
      {
        name: 'main',
        values: { api_key: { env: 'OPENAI_MAIN_API_KEY' }, base_url: `${openaiUpstream.url}/v1` },
        active: true,
      },
      {
        name: 'spare',
        values: { api_key: { env: 'OPENAI_SPARE_API_KEY' }, base_url: `${openaiUpstream.url}/v1` },
      },
    ]);
    expect(config.providers?.openai?.models).toEqual([
      { name: 'tts-1', type: 'tts', enabled: false },
      { name: 'ft:gpt-4o-mini-2024-07-18:acme::support', type: 'llm', credential: 'main' },
      {
        name: 'my-model',
        type: 'llm',
        credentials: [
          {
            name: 'tuned',
            values: {
              api_key: { env: 'OPENAI_MY_MODEL_TUNED_API_KEY' },
              base_url: `${openaiUpstream.url}/v1`,
            },
            active: true,
          },
        ],
      },
    ]);
    expect(config.defaults).toEqual({
      llm: 'openai/gpt-4o-mini',
      'text-embedding': 'openai/text-embedding-3-small',
    });
    const suggested = {
      OPENAI_MAIN_API_KEY: KEY_MAIN,
      OPENAI_SPARE_API_KEY: KEY_SPARE,
      OPENAI_MY_MODEL_TUNED_API_KEY: KEY_TUNED,
    };
    expect(await planApply(core, config, suggested)).toEqual([]);
  });
});
