import { ENGINES, type FakeUpstream } from '@switchboard/test-utils';
import { beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { getApiKeyPolicy } from '../accounts/api-key-policy.ts';
import { createApiKey, listApiKeys } from '../accounts/api-keys.ts';
import { applied, parseValid, useConfigFixture } from '../../test/config-kit.ts';
import type { Core } from '../core.ts';
import { listCredentials } from '../provider-management/credentials.ts';
import type { TestWorkspace } from '../../test/provider-kit.ts';
import { applyConfig } from './apply.ts';
import { exportConfig } from './export.ts';
import { parseConfigFile } from './schema.ts';

describe.each(ENGINES)('API keys in configuration as code on %s', (engine) => {
  let core: Core;
  let upstream: FakeUpstream;
  let ws: TestWorkspace;
  const env = {
    OPENAI_MAIN_API_KEY: 'sk-test-fake-config-main',
    OPENAI_BILLING_API_KEY: 'sk-test-fake-config-billing',
  };

  const file = (apiKeys: string) => `
workspace: ${ws.workspaceId}
providers:
  openai:
    credentials:
      - name: main
        values: { api_key: { env: OPENAI_MAIN_API_KEY }, base_url: "${upstream.url}/v1" }
        active: true
      - name: billing
        values: { api_key: { env: OPENAI_BILLING_API_KEY }, base_url: "${upstream.url}/v1" }
${apiKeys}`;

  const fixture = useConfigFixture(engine);
  beforeEach(() => {
    ({ core, ws, upstream } = fixture);
  });

  it('sets the limits of named keys and the editors policy, exports them, and round-trips with no change', async () => {
    await createApiKey(core, ws.admin, { workspaceId: ws.workspaceId, name: 'support-bot' });
    await createApiKey(core, ws.editor, {
      workspaceId: ws.workspaceId,
      name: 'left-alone',
      requestsPerMinute: 9,
    });
    const config = parseValid(
      file(`
apiKeys:
  - name: support-bot
    models: [openai/gpt-4o-mini, "anthropic/*"]
    credentials: { openai: billing }
    requestsPerMinute: 60
    tokensPerMinute: 50000
    monthlyBudget: 12.5
apiKeyPolicy:
  models: ["openai/*"]
  maxRequestsPerMinute: 30
  maxMonthlyBudget: 5
`),
    );
    const result = await applied(applyConfig(core, ws.admin, config, env));
    expect(result.changes.slice(-2)).toEqual([
      {
        action: 'update-api-key',
        path: 'apiKeys[0]',
        description: 'set the limits of API key "support-bot"',
      },
      {
        action: 'set-api-key-policy',
        path: 'apiKeyPolicy',
        description: "set what editors' API keys may reach and spend",
      },
    ]);
    const billing = (
      await listCredentials(core, ws.admin, { workspaceId: ws.workspaceId, provider: 'openai' })
    ).find((credential) => credential.name === 'billing');
    const keys = await listApiKeys(core, ws.member, { workspaceId: ws.workspaceId });
    expect(keys.find((key) => key.name === 'support-bot')?.limits).toEqual({
      models: ['openai/gpt-4o-mini', 'anthropic/*'],
      credentials: { openai: billing?.id },
      requestsPerMinute: 60,
      tokensPerMinute: 50_000,
      monthlyBudget: 12.5,
    });
    expect(keys.find((key) => key.name === 'left-alone')?.limits.requestsPerMinute).toBe(9);
    expect(await getApiKeyPolicy(core, ws.member, { workspaceId: ws.workspaceId })).toMatchObject({
      models: ['openai/*'],
      maxRequestsPerMinute: 30,
      maxTokensPerMinute: null,
      maxMonthlyBudget: 5,
    });

    const exported = await exportConfig(core, ws.workspaceId);
    const written = parseYaml(exported) as Record<string, unknown>;
    expect(written.apiKeys).toEqual([
      {
        name: 'support-bot',
        models: ['openai/gpt-4o-mini', 'anthropic/*'],
        credentials: { openai: 'billing' },
        requestsPerMinute: 60,
        tokensPerMinute: 50_000,
        monthlyBudget: 12.5,
      },
      { name: 'left-alone', requestsPerMinute: 9 },
    ]);
    expect(written.apiKeyPolicy).toEqual({
      models: ['openai/*'],
      maxRequestsPerMinute: 30,
      maxMonthlyBudget: 5,
    });
    expect(exported).not.toContain('sk-test');
    const again = await applied(applyConfig(core, ws.admin, parseValid(exported), env));
    expect(again.changes).toEqual([]);

    // The section is matched exactly: a field left out is no limit.
    const loosened = await applied(
      applyConfig(
        core,
        ws.admin,
        parseValid(file('apiKeys:\n  - { name: support-bot, requestsPerMinute: 61 }\n')),
        env,
      ),
    );
    expect(loosened.changes.map((change) => change.action)).toEqual(['update-api-key']);
    const after = (await listApiKeys(core, ws.member, { workspaceId: ws.workspaceId })).find(
      (key) => key.name === 'support-bot',
    );
    expect(after?.limits).toEqual({
      models: null,
      credentials: {},
      requestsPerMinute: 61,
      tokensPerMinute: null,
      monthlyBudget: null,
    });
  });

  it('names every problem by its path and applies nothing', async () => {
    await createApiKey(core, ws.admin, { workspaceId: ws.workspaceId, name: 'support-bot' });
    const structural = parseConfigFile(
      file(`
apiKeys:
  - { name: support-bot, requestsPerMinute: "fast", colour: blue }
  - { name: support-bot }
`),
    );
    expect('problems' in structural && structural.problems).toEqual([
      { path: 'apiKeys[0].requestsPerMinute', message: 'must be a number, or null for no limit' },
      { path: 'apiKeys[0].colour', message: 'unknown key' },
    ]);
    const duplicated = parseConfigFile(file('apiKeys:\n  - { name: a }\n  - { name: a }\n'));
    expect('problems' in duplicated && duplicated.problems).toEqual([
      { path: 'apiKeys[1].name', message: '"a" appears twice' },
    ]);
    const result = await applyConfig(
      core,
      ws.admin,
      parseValid(
        file(`
apiKeys:
  - { name: nobody }
  - name: support-bot
    models: [gpt-4o]
    credentials: { openai: missing }
    tokensPerMinute: 0
apiKeyPolicy: { maxMonthlyBudget: -3 }
`),
      ),
      env,
    );
    expect('problems' in result && result.problems).toEqual([
      {
        path: 'apiKeys[0].name',
        message:
          'no active API key named "nobody": create it in the console or with switchboard api-key create, then apply',
      },
      { path: 'apiKeys[1].models[0]', message: '"gpt-4o" must be provider/model or provider/*' },
      {
        path: 'apiKeys[1].tokensPerMinute',
        message: 'must be a whole number of tokens from 1 to 1000000000, or null for no limit',
      },
      { path: 'apiKeys[1].credentials.openai', message: 'no openai credential named "missing"' },
      {
        path: 'apiKeyPolicy.maxMonthlyBudget',
        message: 'must be an amount in USD from 0.01 to 1000000, or null for no budget',
      },
    ]);
    expect('applied' in result && result.applied).toEqual([]);
    expect(
      await listCredentials(core, ws.admin, { workspaceId: ws.workspaceId, provider: 'openai' }).catch(
        () => [],
      ),
    ).toEqual([]);
  });
});
