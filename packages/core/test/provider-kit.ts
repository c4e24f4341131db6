import type { ProviderAdapter } from '@switchboard/provider-spec';
import { createAllAdapters } from '@switchboard/providers';
import { type FakeUpstream, fixture, startFakeUpstream } from '@switchboard/test-utils';
import type { Actor } from '../src/access.ts';
import type { Core } from '../src/core.ts';
import { newId, nowIso } from '../src/ids.ts';

// Shared by the provider-management tests of core and api: real adapters against local
// upstreams speaking the providers' wire formats, and a workspace with one member per role.
// Outside src/ on purpose: core's production code must not reach the adapters (a lint rule
// checks it), its tests do, through the devDependency on @switchboard/providers.

const here = import.meta.url;

/** Keys the fake upstreams accept: obviously fake, never 32 alphanumerics in a row. */
export const isGoodTestKey = (key: string | undefined): boolean =>
  !!key && key.startsWith('sk-test-') && !key.includes('bad');

/**
 * An OpenAI-format upstream (`GET /v1/models`, chat probe): Bearer keys starting
 * `sk-test-` pass unless they contain `bad`; others get OpenAI's 401 body.
 */
export async function startOpenAIFormatUpstream(): Promise<FakeUpstream> {
  const upstream = await startFakeUpstream();
  const models = fixture(here, 'openai-models.json');
  const invalid = fixture(here, 'openai-invalid-key.json');
  const listed = new Set((JSON.parse(models) as { data: { id: string }[] }).data.map((model) => model.id));
  const authorized = (headers: Record<string, string>) =>
    isGoodTestKey(headers.authorization?.replace(/^Bearer /, ''));
  upstream.route('GET', '/v1/models', (request, response) => {
    const ok = authorized(request.headers);
    response.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
    response.end(ok ? models : invalid);
  });
  upstream.route('POST', '/v1/chat/completions', (request, response) => {
    if (!authorized(request.headers)) {
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end(invalid);
      return;
    }
    const model = String((request.json() as { model?: string }).model);
    if (!listed.has(model)) {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          error: {
            message: `The model \`${model}\` does not exist or you do not have access to it.`,
            type: 'invalid_request_error',
            param: null,
            code: 'model_not_found',
          },
        }),
      );
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        id: 'chatcmpl-test',
        object: 'chat.completion',
        created: 1760000000,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: 'pong' }, finish_reason: 'length' }],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      }),
    );
  });
  return upstream;
}

/** An Ollama upstream: `/api/tags` lists three models, `/api/show` describes each. */
export async function startOllamaUpstream(): Promise<FakeUpstream> {
  const upstream = await startFakeUpstream();
  upstream.route('GET', '/api/tags', {
    body: fixture(here, 'tags.json'),
    headers: { 'content-type': 'application/json' },
  });
  const shows: Record<string, string> = {
    'llama3.2:latest': 'show-llama3.2.json',
    'llava:7b': 'show-llava.json',
    'nomic-embed-text:latest': 'show-nomic-embed-text.json',
  };
  upstream.route('POST', '/api/show', (request, response) => {
    const name = String((request.json() as { model?: string }).model);
    const file = shows[name] ?? shows[`${name}:latest`];
    response.writeHead(file ? 200 : 404, { 'content-type': 'application/json' });
    response.end(file ? fixture(here, file) : JSON.stringify({ error: `model '${name}' not found` }));
  });
  return upstream;
}

/** A Cohere upstream: `GET /v1/models` with a Bearer key. */
export async function startCohereUpstream(): Promise<FakeUpstream> {
  const upstream = await startFakeUpstream();
  const models = fixture(here, 'cohere-models.json');
  upstream.route('GET', '/v1/models', (request, response) => {
    const ok = isGoodTestKey(request.headers.authorization?.replace(/^Bearer /, ''));
    response.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
    response.end(ok ? models : fixture(here, 'cohere-invalid-key.json'));
  });
  return upstream;
}

/** A workspace with one user per role and an outsider. */
export interface TestWorkspace {
  workspaceId: string;
  owner: Actor & { kind: 'user' };
  admin: Actor & { kind: 'user' };
  editor: Actor & { kind: 'user' };
  member: Actor & { kind: 'user' };
  outsider: Actor & { kind: 'user' };
}

/** Creates a workspace and its users directly in storage (account services are another issue's). */
export async function createTestWorkspace(core: Core, name = 'Acme'): Promise<TestWorkspace> {
  const now = nowIso();
  const workspaceId = newId('ws');
  await core.db
    .insertInto('workspaces')
    .values({ id: workspaceId, name, created_at: now, updated_at: now })
    .execute();
  const actors: Record<string, Actor & { kind: 'user' }> = {};
  for (const role of ['owner', 'admin', 'editor', 'member', 'outsider'] as const) {
    const userId = newId('usr');
    await core.db
      .insertInto('users')
      .values({
        id: userId,
        email: `${role}-${userId}@example.test`,
        name: role,
        password_hash: 'x',
        created_at: now,
        updated_at: now,
      })
      .execute();
    if (role !== 'outsider') {
      await core.db
        .insertInto('workspace_members')
        .values({
          id: newId('mem'),
          workspace_id: workspaceId,
          user_id: userId,
          role,
          created_at: now,
          updated_at: now,
        })
        .execute();
    }
    actors[role] = { kind: 'user', userId };
  }
  return { workspaceId, ...(actors as Omit<TestWorkspace, 'workspaceId'>) };
}

/**
 * The real adapters the provider-management tests run against, from the providers package.
 * Each credential carries its own base URL, so one adapter serves every fake upstream.
 */
export function realAdapters(): ProviderAdapter[] {
  return createAllAdapters();
}
