import { readFileSync } from 'node:fs';
import {
  type Actor,
  addCustomModel,
  createApiKey,
  createCredential,
  installProvider,
  setupFirstOwner,
} from '@switchboard/core';
import { type EngineName, type FakeUpstream, startFakeUpstream } from '@switchboard/test-utils';
import OpenAI from 'openai';
import type { ServerEnv } from '../src/env.ts';
import type { RunningServer } from '../src/server.ts';
import { startTestServer } from './helpers.ts';

/** A recorded answer from a provider's own tests (taken from its API documentation). */
export const recorded = (provider: string, name: string) =>
  readFileSync(
    new URL(`../../../packages/providers/src/${provider}/__fixtures__/${name}`, import.meta.url),
    'utf8',
  );

const JSON_HEADERS = { 'content-type': 'application/json' };

/** The fake provider keys Switchboard holds; only the upstream may see them. */
export const OPENAI_KEY = 'sk-test-fake-openai-0001';
export const ANTHROPIC_KEY = 'sk-ant-test-fake-0001';

/**
 * A server whose workspace uses OpenAI (at `/openai/v1`), Anthropic (at `/anthropic`) and Ollama
 * (`llama3.2`, at the root) on one local upstream, each answering in its own wire format.
 */
export interface UpstreamsFixture {
  server: RunningServer;
  upstream: FakeUpstream;
  actor: Actor;
  workspaceId: string;
  apiKey: string;
  openai: OpenAI;
  close(): Promise<void>;
}

export async function startUpstreamsFixture(
  engine: EngineName,
  overrides: Partial<ServerEnv> = {},
): Promise<UpstreamsFixture> {
  const upstream = await startFakeUpstream();
  // What validating the credentials asks.
  upstream.route('GET', '/openai/v1/models', {
    json: { object: 'list', data: [{ id: 'gpt-4o-mini', object: 'model', created: 0, owned_by: 'openai' }] },
  });
  upstream.route('GET', '/anthropic/v1/models', {
    json: {
      data: [{ type: 'model', id: 'claude-haiku-4-5-20251001', display_name: 'Claude Haiku 4.5' }],
      has_more: false,
      first_id: null,
      last_id: null,
    },
  });
  upstream.route('GET', '/api/tags', { body: recorded('ollama', 'tags.json'), headers: JSON_HEADERS });
  upstream.route('POST', '/api/show', {
    body: recorded('ollama', 'show-llama3.2.json'),
    headers: JSON_HEADERS,
  });
  const server = await startTestServer(engine, overrides);
  const setup = await setupFirstOwner(server.core, {
    email: 'upstreams@example.test',
    password: 'a long enough password',
    workspaceName: 'Upstreams',
  });
  const actor: Actor = { kind: 'user', userId: setup.user.id };
  const workspaceId = setup.workspace.id;
  for (const provider of ['openai', 'anthropic', 'ollama']) {
    await installProvider(server.core, actor, { workspaceId, provider });
  }
  await createCredential(server.core, actor, {
    workspaceId,
    provider: 'openai',
    name: 'openai-main',
    values: { api_key: OPENAI_KEY, base_url: `${upstream.url}/openai/v1` },
  });
  await createCredential(server.core, actor, {
    workspaceId,
    provider: 'anthropic',
    name: 'anthropic-main',
    values: { api_key: ANTHROPIC_KEY, base_url: `${upstream.url}/anthropic` },
  });
  await addCustomModel(server.core, actor, {
    workspaceId,
    provider: 'ollama',
    model: { name: 'llama3.2', type: 'llm' },
    credential: { name: 'local-ollama', values: { base_url: upstream.url } },
  });
  const { key } = await createApiKey(server.core, actor, { workspaceId, name: 'upstreams' });
  const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: key, maxRetries: 0, timeout: 10_000 });
  upstream.requests.length = 0;
  return {
    server,
    upstream,
    actor,
    workspaceId,
    apiKey: key,
    openai,
    async close() {
      await server.stop();
      await upstream.close();
    },
  };
}
