import type { ServerResponse } from 'node:http';
import {
  addCustomModel,
  createApiKey,
  installProvider,
  setDefaultModel,
  setupFirstOwner,
  type Actor,
} from '@switchboard/core';
import { type FakeUpstream, type RecordedRequest, startFakeUpstream } from '@switchboard/test-utils';
import type { EngineName } from '@switchboard/test-utils';
import OpenAI from 'openai';
import type { RunningServer } from '../src/server.ts';
import { startTestServer } from './helpers.ts';

/** A chat completion as OpenAI documents it. */
export function completion(model: string, content: string) {
  return {
    id: 'chatcmpl-test-1',
    object: 'chat.completion',
    created: 1_764_000_000,
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
  };
}

/** An OpenAI-format stream of `words`, with a usage chunk when asked for. */
export function streamChunks(model: string, words: string[], includeUsage: boolean): string[] {
  const base = { id: 'chatcmpl-stream-1', object: 'chat.completion.chunk', created: 1_764_000_000, model };
  const chunks = [
    { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] },
    ...words.map((word) => ({
      ...base,
      choices: [{ index: 0, delta: { content: word }, finish_reason: null }],
    })),
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
    ...(includeUsage
      ? [
          {
            ...base,
            choices: [],
            usage: { prompt_tokens: 9, completion_tokens: words.length, total_tokens: 9 + words.length },
          },
        ]
      : []),
  ];
  return [...chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`), 'data: [DONE]\n\n'];
}

/** Which fake key a recorded request carried. */
export const keyOf = (request: RecordedRequest) =>
  request.headers.authorization?.replace('Bearer ', '') ?? '';

export const KEY_A = 'sk-test-gateway-key-a';
export const KEY_B = 'sk-test-gateway-key-b';

/** A server with one workspace whose openai-compatible provider points at a fake upstream. */
export interface GatewayFixture {
  server: RunningServer;
  upstream: FakeUpstream;
  actor: Actor;
  workspaceId: string;
  apiKey: string;
  ownerToken: string;
  openai: OpenAI;
  /** Per-key behaviour of the upstream's chat endpoint; default: answer normally. */
  chatBehaviour: Map<string, (request: RecordedRequest, response: ServerResponse) => void | Promise<void>>;
  close(): Promise<void>;
}

function answerChat(request: RecordedRequest, response: ServerResponse) {
  const body = request.json() as {
    model: string;
    stream?: boolean;
    stream_options?: { include_usage?: boolean };
  };
  if (body.stream) {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const chunk of streamChunks(
      body.model,
      ['Hel', 'lo ', 'wörld'],
      body.stream_options?.include_usage === true,
    )) {
      response.write(chunk);
    }
    response.end();
    return;
  }
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify(completion(body.model, `answered with ${keyOf(request)}`)));
}

export async function startGatewayFixture(engine: EngineName): Promise<GatewayFixture> {
  const upstream = await startFakeUpstream();
  const chatBehaviour: GatewayFixture['chatBehaviour'] = new Map();
  upstream.route('GET', '/v1/models', {
    json: { object: 'list', data: [{ id: 'local-model', object: 'model', created: 0, owned_by: 'local' }] },
  });
  upstream.route('POST', '/v1/chat/completions', async (request, response) => {
    const behaviour = chatBehaviour.get(keyOf(request));
    if (behaviour) await behaviour(request, response);
    else answerChat(request, response);
  });
  upstream.route('POST', '/v1/embeddings', (request, response) => {
    const body = request.json() as { model: string; input: string | string[] };
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        object: 'list',
        data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: [0.1, 0.2, index] })),
        model: body.model,
        usage: { prompt_tokens: 4 * inputs.length, total_tokens: 4 * inputs.length },
      }),
    );
  });

  const server = await startTestServer(engine);
  const setup = await setupFirstOwner(server.core, {
    email: 'admin@example.test',
    password: 'a long enough password',
    workspaceName: 'Gateway',
  });
  const actor: Actor = { kind: 'user', userId: setup.user.id };
  const workspaceId = setup.workspace.id;
  await installProvider(server.core, actor, { workspaceId, provider: 'openai-compatible' });
  const values = (key: string) => ({ base_url: `${upstream.url}/v1`, api_key: key });
  await addCustomModel(server.core, actor, {
    workspaceId,
    provider: 'openai-compatible',
    model: { name: 'local-model', type: 'llm' },
    credential: { name: 'key-a', values: values(KEY_A) },
  });
  await addCustomModel(server.core, actor, {
    workspaceId,
    provider: 'openai-compatible',
    model: { name: 'local-embed', type: 'text-embedding' },
    credential: { name: 'embed-key', values: values(KEY_A) },
  });
  await setDefaultModel(server.core, actor, {
    workspaceId,
    provider: 'openai-compatible',
    model: { name: 'local-model', type: 'llm' },
  });
  const { key } = await createApiKey(server.core, actor, { workspaceId: workspaceId, name: 'tests' });
  const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: key, maxRetries: 0, timeout: 10_000 });
  upstream.requests.length = 0;
  return {
    server,
    upstream,
    actor,
    workspaceId,
    apiKey: key,
    ownerToken: setup.token,
    openai,
    chatBehaviour,
    async close() {
      await server.stop();
      await upstream.close();
    },
  };
}
