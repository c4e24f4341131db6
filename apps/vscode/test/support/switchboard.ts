import type { ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSwitchboardClient, type SwitchboardClient } from '@switchboard/client';
import { type Core, setupFirstOwner } from '@switchboard/core';
import { createLogger, openCore, type RunningServer, readEnv, startServer } from '@switchboard/server';
import { type FakeUpstream, type RecordedRequest, startFakeUpstream } from '@switchboard/test-utils';

/** Obviously fake keys: the upstream answers by key, and no test output may ever contain one. */
export const KEYS = {
  dev: 'sk-test-fake-dev-000000000001',
  prod: 'sk-test-fake-prod-00000000002',
  localA: 'sk-test-fake-local-000000003',
  localB: 'sk-test-fake-local-000000004',
} as const;

const OWNER_PASSWORD = 'a long enough password';

/** A real Switchboard server (SQLite in a temp folder) with one workspace, and a fake OpenAI upstream. */
export interface SwitchboardFixture {
  url: string;
  /** The owner's personal access token. */
  token: string;
  /** The owner's password (for the email and password sign-in). */
  password: string;
  /** The server's core, in this process (tests tune its login throttle). */
  core: Core;
  workspaceId: string;
  userEmail: string;
  /** The owner's typed client. */
  client: SwitchboardClient;
  upstream: FakeUpstream;
  /** Ids of the OpenAI keys `dev` (active at start) and `prod`. */
  credentials: { dev: string; prod: string };
  /** Chat requests the upstream received, by the key they carried. */
  chatKeys(): string[];
  close(): Promise<void>;
}

function keyOf(request: RecordedRequest): string {
  return request.headers.authorization?.replace('Bearer ', '') ?? '';
}

/** An OpenAI chat answer saying `words`: a stream with the usage chunk the gateway asks for, or one JSON body. */
function answerChat(request: RecordedRequest, response: ServerResponse, words: string[]): void {
  const body = request.json() as { model: string; stream?: boolean };
  if (!body.stream) {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        id: 'chatcmpl-e2e-0',
        object: 'chat.completion',
        created: 1_764_000_000,
        model: body.model,
        choices: [
          { index: 0, message: { role: 'assistant', content: words.join('') }, finish_reason: 'stop' },
        ],
        usage: { prompt_tokens: 7, completion_tokens: words.length, total_tokens: 7 + words.length },
      }),
    );
    return;
  }
  const base = {
    id: 'chatcmpl-e2e-1',
    object: 'chat.completion.chunk',
    created: 1_764_000_000,
    model: body.model,
  };
  const chunks = [
    { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] },
    ...words.map((word) => ({
      ...base,
      choices: [{ index: 0, delta: { content: word }, finish_reason: null }],
    })),
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
    {
      ...base,
      choices: [],
      usage: { prompt_tokens: 7, completion_tokens: words.length, total_tokens: 7 + words.length },
    },
  ];
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const chunk of chunks) response.write(`data: ${JSON.stringify(chunk)}\n\n`);
  response.end('data: [DONE]\n\n');
}

/** A streamed OpenAI answer calling the `get_weather` tool, its arguments split over two chunks as OpenAI does. */
function answerToolCall(request: RecordedRequest, response: ServerResponse): void {
  const body = request.json() as { model: string };
  const base = {
    id: 'chatcmpl-e2e-2',
    object: 'chat.completion.chunk',
    created: 1_764_000_000,
    model: body.model,
  };
  const call = (delta: object) => ({
    ...base,
    choices: [{ index: 0, delta: { tool_calls: [{ index: 0, ...delta }] }, finish_reason: null }],
  });
  const chunks = [
    { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: null }, finish_reason: null }] },
    call({ id: 'call_weather_1', type: 'function', function: { name: 'get_weather', arguments: '' } }),
    call({ function: { arguments: '{"city":' } }),
    call({ function: { arguments: '"Paris"}' } }),
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] },
    { ...base, choices: [], usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 } },
  ];
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const chunk of chunks) response.write(`data: ${JSON.stringify(chunk)}\n\n`);
  response.end('data: [DONE]\n\n');
}

/**
 * Starts the fixture: OpenAI installed with keys `dev` (active) and `prod`, both pointing at the
 * fake upstream; the default chat model `openai/gpt-4o-mini`; and an openai-compatible custom
 * model `local-model` with two keys of its own.
 */
export async function startSwitchboard(
  options: { secondWorkspace?: string } = {},
): Promise<SwitchboardFixture> {
  const upstream = await startFakeUpstream();
  upstream.route('GET', '/v1/models', (request, response) => {
    // A key with `bad` in it is refused the way OpenAI refuses a wrong key.
    const refused = keyOf(request).includes('bad');
    response.writeHead(refused ? 401 : 200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify(
        refused
          ? {
              error: {
                message: 'Incorrect API key provided',
                type: 'invalid_request_error',
                code: 'invalid_api_key',
              },
            }
          : {
              object: 'list',
              data: ['gpt-4o-mini', 'gpt-4o', 'local-model'].map((id) => ({
                id,
                object: 'model',
                created: 0,
                owned_by: 'test',
              })),
            },
      ),
    );
  });
  upstream.route('POST', '/v1/chat/completions', (request, response) => {
    const body = request.json() as { tools?: unknown[]; messages: { role: string; content: string }[] };
    const last = body.messages.at(-1);
    if (body.tools && last?.role !== 'tool') return answerToolCall(request, response);
    if (last?.role === 'tool') return answerChat(request, response, ['The tool said: ', last.content]);
    answerChat(request, response, [
      'Hello ',
      'from ',
      keyOf(request) === KEYS.prod ? 'prod' : 'the upstream',
    ]);
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-vscode-'));
  const env = readEnv({
    HOST: '127.0.0.1',
    PORT: '0',
    SWITCHBOARD_DATA_DIR: dataDir,
    SWITCHBOARD_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
    LOG_LEVEL: 'silent',
    SWITCHBOARD_SHUTDOWN_TIMEOUT_MS: '1000',
  });
  const core = await openCore(env);
  let server: RunningServer | undefined;
  try {
    server = await startServer(env, createLogger('silent'), core);
    const userEmail = 'owner@example.test';
    const setup = await setupFirstOwner(core, {
      email: userEmail,
      password: OWNER_PASSWORD,
      workspaceName: 'Acme',
    });
    const workspaceId = setup.workspace.id;
    const client = createSwitchboardClient({ url: server.url, token: setup.token });
    if (options.secondWorkspace) await client.workspaces.create.mutate({ name: options.secondWorkspace });
    await client.providers.install.mutate({ workspaceId, provider: 'openai' });
    const values = (apiKey: string) => ({ api_key: apiKey, base_url: `${upstream.url}/v1` });
    const dev = await client.credentials.create.mutate({
      workspaceId,
      provider: 'openai',
      name: 'dev',
      values: values(KEYS.dev),
    });
    const prod = await client.credentials.create.mutate({
      workspaceId,
      provider: 'openai',
      name: 'prod',
      values: values(KEYS.prod),
    });
    await client.defaults.set.mutate({
      workspaceId,
      provider: 'openai',
      model: { name: 'gpt-4o-mini', type: 'llm' },
    });
    await client.providers.install.mutate({ workspaceId, provider: 'openai-compatible' });
    const local = { name: 'local-model', type: 'llm' as const };
    await client.models.addCustom.mutate({
      workspaceId,
      provider: 'openai-compatible',
      model: local,
      credential: { name: 'local-a', values: values(KEYS.localA) },
    });
    await client.credentials.create.mutate({
      workspaceId,
      provider: 'openai-compatible',
      model: local,
      name: 'local-b',
      values: values(KEYS.localB),
    });
    const running = server;
    return {
      url: running.url,
      token: setup.token,
      password: OWNER_PASSWORD,
      core,
      workspaceId,
      userEmail,
      client,
      upstream,
      credentials: { dev: dev.id, prod: prod.id },
      chatKeys: () =>
        upstream.requests.filter((request) => request.path === '/v1/chat/completions').map(keyOf),
      async close() {
        await running.stop();
        await upstream.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await server?.stop();
    await upstream.close();
    throw error;
  }
}
