import { ENGINES, type FakeUpstream } from '@switchboard/test-utils';
import { beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { applied, parseValid, useConfigFixture } from '../../test/config-kit.ts';
import type { TestWorkspace } from '../../test/provider-kit.ts';
import type { Core } from '../core.ts';
import { listModels } from '../provider-management/models.ts';
import { applyConfig } from './apply.ts';
import { exportConfig } from './export.ts';

// Custom model prices in the configuration file (decision 0032): a listed custom model's
// `pricing` is matched like its other fields (left out: no price), exported, and round-trips.

describe.each(ENGINES)('custom model prices in configuration as code on %s', (engine) => {
  let core: Core;
  let upstream: FakeUpstream;
  let ws: TestWorkspace;
  const env = {
    LOCAL_API_KEY: 'sk-test-fake-config-prices',
    // The name export suggests for the model's key.
    OPENAI_COMPATIBLE_GPT_4O_MINI_MAIN_API_KEY: 'sk-test-fake-config-prices',
  };

  const file = (pricing: string) => `
workspace: ${ws.workspaceId}
providers:
  openai-compatible:
    models:
      - name: gpt-4o-mini
        type: llm
        credentials:
          - name: main
            values: { api_key: { env: LOCAL_API_KEY }, base_url: "${upstream.url}/v1" }
${pricing}`;
  const price = async () =>
    (await listModels(core, ws.member, { workspaceId: ws.workspaceId })).find(
      (model) => model.name === 'gpt-4o-mini',
    )?.pricing;

  const fixture = useConfigFixture(engine);
  beforeEach(() => {
    ({ core, ws, upstream } = fixture);
  });

  it('adds a model with its price, exports it, round-trips, and clears it when left out', async () => {
    const result = await applied(
      applyConfig(
        core,
        ws.admin,
        parseValid(file('        pricing: { inputPerMillion: 0.4, outputPerMillion: 1.6 }')),
        env,
      ),
    );
    expect(result.changes.map((change) => change.action)).toEqual([
      'install-provider',
      'add-model',
      'price-model',
    ]);
    expect(result.changes.at(-1)).toEqual({
      action: 'price-model',
      path: 'providers.openai-compatible.models[0].pricing',
      description:
        'set the price of model openai-compatible/gpt-4o-mini (llm) to $0.4 in / $1.6 out per million tokens',
    });
    expect(await price()).toEqual({ inputPerMillion: 0.4, outputPerMillion: 1.6 });

    const exported = await exportConfig(core, ws.workspaceId);
    const written = parseYaml(exported) as {
      providers: Record<string, { models: { name: string; pricing?: unknown }[] }>;
    };
    expect(written.providers['openai-compatible']?.models[0]?.pricing).toEqual({
      inputPerMillion: 0.4,
      outputPerMillion: 1.6,
    });
    expect((await applied(applyConfig(core, ws.admin, parseValid(exported), env))).changes).toEqual([]);

    const cleared = await applied(applyConfig(core, ws.admin, parseValid(file('')), env));
    expect(cleared.changes.map((change) => change.description)).toEqual([
      'set the price of model openai-compatible/gpt-4o-mini (llm) to no price',
    ]);
    expect(await price()).toBeNull();
  });

  it('names the field of a bad price and changes nothing', async () => {
    const result = await applyConfig(
      core,
      ws.admin,
      parseValid(file('        pricing: { inputPerMillion: -1 }')),
      env,
    );
    expect('problems' in result && result.problems).toEqual([
      {
        path: 'providers.openai-compatible.models[0].pricing.inputPerMillion',
        message: expect.stringContaining('from 0 to'),
      },
      {
        path: 'providers.openai-compatible.models[0].pricing.outputPerMillion',
        message: expect.stringContaining('required for a chat model'),
      },
    ]);
    expect(await price()).toBeUndefined();
  });
});
