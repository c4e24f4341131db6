import {
  type Actor,
  addCustomModel,
  createApiKey,
  createCredential,
  installProvider,
  listModels,
  setupFirstOwner,
} from '@switchboard/core';
import { readFileSync } from 'node:fs';
import { type FakeUpstream, startFakeUpstream } from '@switchboard/test-utils';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { startTestServer } from './helpers.ts';

/** A recorded answer from a provider's own tests (taken from its API documentation). */
const recorded = (provider: string, name: string) =>
  readFileSync(
    new URL(`../../../packages/providers/src/${provider}/__fixtures__/${name}`, import.meta.url),
    'utf8',
  );

// Translating providers and the other endpoints, end to end: the openai SDK talks to
// Switchboard, Switchboard talks to local upstreams in each provider's own wire format.
describe('the gateway across providers and endpoints', () => {
  let server: RunningServer;
  let upstream: FakeUpstream;
  let openai: OpenAI;
  let actor: Actor;
  let workspaceId: string;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    upstream.route('GET', '/v1/models', {
      json: { object: 'list', data: [{ id: 'm', object: 'model', created: 0, owned_by: 'x' }] },
    });
    upstream.route('GET', '/anthropic/v1/models', {
      json: {
        data: [
          {
            type: 'model',
            id: 'claude-haiku-4-5-20251001',
            display_name: 'Claude Haiku 4.5',
            created_at: '2025-10-01T00:00:00Z',
          },
        ],
        has_more: false,
        first_id: null,
        last_id: null,
      },
    });
    upstream.route('POST', '/v1/rerank', {
      json: {
        id: 'rerank-1',
        model: 'local-reranker',
        results: [
          { index: 1, relevance_score: 0.9, document: { text: 'Paris is the capital of France' } },
          { index: 0, relevance_score: 0.1, document: { text: 'Bananas are yellow' } },
        ],
        usage: { total_tokens: 20 },
      },
    });
    upstream.route('GET', '/gemini/v1beta/models', {
      body: recorded('gemini', 'models.json'),
      headers: { 'content-type': 'application/json' },
    });
    upstream.route('GET', '/api/tags', {
      body: recorded('ollama', 'tags.json'),
      headers: { 'content-type': 'application/json' },
    });
    upstream.route('POST', '/api/show', {
      body: recorded('ollama', 'show-llama3.2.json'),
      headers: { 'content-type': 'application/json' },
    });
    server = await startTestServer('sqlite');
    const setup = await setupFirstOwner(server.core, {
      email: 'p@example.test',
      password: 'long enough pass',
      workspaceName: 'P',
    });
    actor = { kind: 'user', userId: setup.user.id };
    workspaceId = setup.workspace.id;
    for (const provider of ['openai', 'anthropic', 'openai-compatible', 'gemini', 'ollama']) {
      await installProvider(server.core, actor, { workspaceId, provider });
    }
    await createCredential(server.core, actor, {
      workspaceId,
      provider: 'openai',
      name: 'openai-main',
      values: { api_key: 'sk-test-openai-gw-0001', base_url: `${upstream.url}/v1` },
    });
    await createCredential(server.core, actor, {
      workspaceId,
      provider: 'anthropic',
      name: 'anthropic-main',
      values: { api_key: 'sk-ant-test-gw-0001', base_url: `${upstream.url}/anthropic` },
    });
    await createCredential(server.core, actor, {
      workspaceId,
      provider: 'gemini',
      name: 'gemini-main',
      values: { api_key: 'test-gemini-key-0001', base_url: `${upstream.url}/gemini` },
    });
    await addCustomModel(server.core, actor, {
      workspaceId,
      provider: 'ollama',
      model: { name: 'llama3.2', type: 'llm' },
      credential: { name: 'local-ollama', values: { base_url: upstream.url } },
    });
    await addCustomModel(server.core, actor, {
      workspaceId,
      provider: 'openai-compatible',
      model: { name: 'local-reranker', type: 'rerank' },
      credential: { name: 'local', values: { base_url: `${upstream.url}/v1` } },
    });
    const { key } = await createApiKey(server.core, actor, { workspaceId: workspaceId, name: 'providers' });
    openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: key, maxRetries: 0, timeout: 10_000 });
  });
  afterAll(async () => {
    await server?.stop();
    await upstream?.close();
  });

  it('translates a chat completion to Anthropic Messages and back', async () => {
    upstream.route('POST', '/anthropic/v1/messages', {
      json: {
        id: 'msg_01',
        type: 'message',
        role: 'assistant',
        model: 'claude-haiku-4-5-20251001',
        content: [{ type: 'text', text: 'Bonjour' }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: 3 },
      },
    });
    const answer = await openai.chat.completions.create({
      model: 'anthropic/claude-haiku-4-5-20251001',
      messages: [
        { role: 'system', content: 'Answer in French' },
        { role: 'user', content: 'Hello' },
      ],
    });
    expect(answer.choices[0]?.message.content).toBe('Bonjour');
    expect(answer.usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 3 });
    const sent = upstream.requests.find((request) => request.path === '/anthropic/v1/messages');
    expect(sent?.headers['x-api-key']).toBe('sk-ant-test-gw-0001');
    expect(sent?.json()).toMatchObject({
      model: 'claude-haiku-4-5-20251001',
      system: [{ type: 'text', text: 'Answer in French' }],
    });
  });

  it('streams Anthropic events as OpenAI chunks', async () => {
    const events = [
      [
        'message_start',
        {
          type: 'message_start',
          message: {
            id: 'msg_02',
            type: 'message',
            role: 'assistant',
            model: 'claude-haiku-4-5-20251001',
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: 7, output_tokens: 1 },
          },
        },
      ],
      [
        'content_block_start',
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      ],
      [
        'content_block_delta',
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Sa' } },
      ],
      [
        'content_block_delta',
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'lut' } },
      ],
      ['content_block_stop', { type: 'content_block_stop', index: 0 }],
      [
        'message_delta',
        {
          type: 'message_delta',
          delta: { stop_reason: 'end_turn', stop_sequence: null },
          usage: { output_tokens: 2 },
        },
      ],
      ['message_stop', { type: 'message_stop' }],
    ] as const;
    upstream.route('POST', '/anthropic/v1/messages', {
      headers: { 'content-type': 'text/event-stream' },
      chunks: events.map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`),
    });
    const stream = await openai.chat.completions.create({
      model: 'anthropic/claude-haiku-4-5-20251001',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    let text = '';
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe('Salut');
    expect(finish).toBe('stop');
  });

  it('translates a chat completion to Gemini generateContent and back', async () => {
    upstream.route('POST', '/gemini/v1beta/models/gemini-3.8-flash:generateContent', {
      body: recorded('gemini', 'generate-text.json'),
      headers: { 'content-type': 'application/json' },
    });
    const answer = await openai.chat.completions.create({
      model: 'gemini/gemini-3.8-flash',
      messages: [{ role: 'user', content: 'Hello' }],
    });
    expect(answer.choices[0]?.message.content).toBeTruthy();
    expect(answer.usage?.prompt_tokens).toBeGreaterThan(0);
    const sent = upstream.requests.find((request) => request.path.endsWith(':generateContent'));
    expect(sent?.headers['x-goog-api-key']).toBe('test-gemini-key-0001');
    expect(sent?.url).not.toContain('test-gemini-key-0001');
  });

  it("streams Ollama's NDJSON as OpenAI chunks", async () => {
    upstream.route('POST', '/api/chat', {
      headers: { 'content-type': 'application/x-ndjson' },
      chunks: recorded('ollama', 'chat-stream.ndjson').split(/(?<=\n)/),
    });
    const stream = await openai.chat.completions.create({
      model: 'ollama/llama3.2',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage ?? usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('transcribes audio (multipart) and streams speech back', async () => {
    upstream.route('POST', '/v1/audio/transcriptions', { json: { text: 'hello from the audio' } });
    const transcript = await openai.audio.transcriptions.create({
      model: 'openai/whisper-1',
      file: await toFile(Buffer.from('RIFF fake wav bytes'), 'clip.wav', { type: 'audio/wav' }),
    });
    expect(transcript.text).toBe('hello from the audio');
    const sent = upstream.requests.find((request) => request.path === '/v1/audio/transcriptions');
    expect(sent?.headers['content-type']).toMatch(/^multipart\/form-data/);
    expect(sent?.text()).toContain('RIFF fake wav bytes');

    const audio = Buffer.from([0xff, 0xf3, 0x44, 0xc4, 0x00, 0x01, 0x02, 0x03]);
    upstream.route('POST', '/v1/audio/speech', {
      headers: { 'content-type': 'audio/mpeg' },
      chunks: [audio.subarray(0, 3), audio.subarray(3)],
    });
    const speech = await openai.audio.speech.create({ model: 'openai/tts-1', voice: 'alloy', input: 'Hi' });
    expect(Buffer.from(await speech.arrayBuffer())).toEqual(audio);
  });

  it('reranks in the Jina/Cohere shape', async () => {
    const response = await fetch(`${server.url}/v1/rerank`, {
      method: 'POST',
      headers: { authorization: `Bearer ${openai.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'openai-compatible/local-reranker',
        query: 'capital of France',
        documents: ['Bananas are yellow', 'Paris is the capital of France'],
      }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { results: { index: number }[] };
    expect(body.results.map((result) => result.index)).toEqual([1, 0]);
  });

  it('refuses a model of the wrong type for the endpoint, naming it', async () => {
    const response = await fetch(`${server.url}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${openai.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'openai/whisper-1', input: 'x' }),
    });
    expect(response.status).toBe(404);
    const body = (await response.json()) as { error: { message: string } };
    expect(body.error.message).toContain('whisper-1');
  });

  it('marks a key the provider rejects as invalid, so its models say so', async () => {
    upstream.route('POST', '/v1/embeddings', {
      status: 401,
      json: {
        error: {
          message: 'Incorrect API key provided',
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        },
      },
    });
    const rejected = await fetch(`${server.url}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${openai.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'openai/text-embedding-3-small', input: 'x' }),
    });
    expect(rejected.status).toBe(502);
    expect(await rejected.text()).not.toContain('sk-test-openai-gw-0001');
    await server.gateway.runtime.cooldowns.settle();
    const models = await listModels(server.core, actor, {
      workspaceId,
      provider: 'openai',
      type: 'text-embedding',
    });
    expect(models.find((model) => model.name === 'text-embedding-3-small')?.status).toBe(
      'credential-invalid',
    );
  });
});
