import { setupFirstOwner } from '@switchboard/core';
import { createSwitchboardClient, type SwitchboardClient } from '@switchboard/client';
import { ENGINES, type FakeUpstream, startFakeUpstream } from '@switchboard/test-utils';
import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { startTestServer } from './helpers.ts';

// Provider management as a TypeScript consumer (the console, the VS Code extension) does it:
// the typed client over real HTTP, against a provider that answers in its own wire format.
describe.each(ENGINES)('provider management through the typed client on %s', (engine) => {
  let server: RunningServer;
  let upstream: FakeUpstream;
  let client: SwitchboardClient;
  let workspaceId: string;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    upstream.route('GET', '/v1/models', {
      json: {
        object: 'list',
        data: [{ id: 'qwen2.5-7b', object: 'model', created: 0, owned_by: 'vllm', max_model_len: 32768 }],
      },
    });
    server = await startTestServer(engine);
    const setup = await setupFirstOwner(server.core, {
      email: 'c@example.test',
      password: 'long enough pass',
      workspaceName: 'C',
    });
    workspaceId = setup.workspace.id;
    client = createSwitchboardClient({ url: server.url, token: setup.token });
  });
  afterAll(async () => {
    await server?.stop();
    await upstream?.close();
  });

  it('installs a provider, adds a key and a model, sets the default, and sees the model active', async () => {
    const catalog = await client.providers.catalog.query({ workspaceId });
    expect(catalog.map((entry) => entry.manifest.id)).toHaveLength(14);
    await client.providers.install.mutate({ workspaceId, provider: 'openai-compatible' });
    const added = await client.models.addCustom.mutate({
      workspaceId,
      provider: 'openai-compatible',
      model: { name: 'qwen2.5-7b', type: 'llm' },
      credential: {
        name: 'vllm',
        values: { base_url: `${upstream.url}/v1`, api_key: 'sk-test-client-0001' },
      },
    });
    expect(added.attached).toBe(false);
    expect(JSON.stringify(added)).not.toContain('sk-test-client-0001');
    await client.defaults.set.mutate({
      workspaceId,
      provider: 'openai-compatible',
      model: { name: 'qwen2.5-7b', type: 'llm' },
    });
    const models = await client.models.list.query({ workspaceId, type: 'llm' });
    expect(models).toContainEqual(
      expect.objectContaining({ name: 'qwen2.5-7b', status: 'active', source: 'custom' }),
    );
    const defaults = await client.defaults.get.query({ workspaceId });
    expect(JSON.stringify(defaults)).toContain('qwen2.5-7b');
  });

  it('returns a rejected key as a field error with the provider reason', async () => {
    upstream.route('GET', '/v1/models', {
      status: 401,
      json: { error: { message: 'Invalid API key', type: 'invalid_request_error', code: 'invalid_api_key' } },
    });
    try {
      await client.credentials.create.mutate({
        workspaceId,
        provider: 'openai-compatible',
        model: { name: 'qwen2.5-7b', type: 'llm' },
        name: 'bad',
        values: { base_url: `${upstream.url}/v1`, api_key: 'sk-test-client-bad-0002' },
      });
      throw new Error('expected a validation failure');
    } catch (error) {
      if (!(error instanceof TRPCClientError)) throw error;
      expect(error.data?.code).toBe('BAD_REQUEST');
      expect(JSON.stringify(error.data?.fieldErrors)).toContain('Invalid API key');
      expect(JSON.stringify(error.data)).not.toContain('sk-test-client-bad-0002');
    }
  });
});
