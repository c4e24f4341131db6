import { type FakeUpstream, fixture, splitBytes, startFakeUpstream } from '@switchboard/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortedError,
  type ChatRequest,
  MalformedResponseError,
  type ProviderAdapter,
  TimeoutError,
  UpstreamUnavailableError,
} from '@switchboard/provider-spec';
import { contextFor, failure, isolatedAdapter, readAll, sseData } from '../../test/provider-test-kit.ts';
import { createOllamaAdapter } from './index.ts';

const ndjson = { 'content-type': 'application/x-ndjson' };
const request: ChatRequest = {
  model: 'llama3.2',
  messages: [{ role: 'user', content: 'Why is the sky blue?' }],
  stream: true,
  stream_options: { include_usage: true },
};

/** Replaces the random completion id after checking every chunk carries the same one. */
function withoutIds(events: unknown[]): unknown[] {
  const ids = new Set(
    events.filter((event) => event !== '[DONE]').map((event) => (event as { id: string }).id),
  );
  expect(ids.size).toBe(1);
  expect([...ids][0]).toMatch(/^chatcmpl-/);
  return events.map((event) => (event === '[DONE]' ? event : { ...(event as object), id: 'ID' }));
}

const chunk = (delta: object, finishReason: string | null = null) => ({
  id: 'ID',
  object: 'chat.completion.chunk',
  created: 1785578400,
  model: 'llama3.2',
  choices: [{ index: 0, delta, finish_reason: finishReason }],
});

describe('ollama chat (streaming)', () => {
  let upstream: FakeUpstream;
  let adapter: ProviderAdapter;
  let close: () => Promise<void>;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    ({ adapter, close } = isolatedAdapter(createOllamaAdapter));
  });
  afterEach(() => upstream.reset());
  afterAll(async () => {
    await close();
    await upstream.close();
  });

  it('re-encodes the NDJSON stream as OpenAI chunks, with lines and characters split across chunks', async () => {
    // 7-byte chunks cut through lines, through the emoji and through the Japanese characters.
    upstream.route('POST', '/api/chat', {
      headers: ndjson,
      chunks: splitBytes(fixture(import.meta.url, 'chat-stream.ndjson'), 7),
    });
    const stream = await adapter.chatStream!(request, contextFor(upstream));
    const text = await readAll(stream.body);
    const events = sseData(text);
    // Byte for byte what JSON.stringify of each chunk gives, the fast path for text included.
    expect(text).toBe(
      events.map((event) => `data: ${event === '[DONE]' ? event : JSON.stringify(event)}\n\n`).join(''),
    );

    expect(upstream.requests[0]?.json()).toEqual({
      model: 'llama3.2',
      messages: [{ role: 'user', content: 'Why is the sky blue?' }],
      stream: true,
    });
    expect(withoutIds(events)).toEqual([
      chunk({ role: 'assistant', content: 'Le ciel' }),
      chunk({ content: ' est bleu 🌤️' }),
      chunk({ content: " — ça s'appelle la diffusion de Rayleigh. 空は青い。" }),
      chunk({}, 'stop'),
      {
        id: 'ID',
        object: 'chat.completion.chunk',
        created: 1785578400,
        model: 'llama3.2',
        choices: [],
        usage: { prompt_tokens: 26, completion_tokens: 21, total_tokens: 47 },
      },
      '[DONE]',
    ]);
    expect(stream.usage()).toEqual({ prompt_tokens: 26, completion_tokens: 21, total_tokens: 47 });
  });

  it('streams whole tool calls as OpenAI tool-call deltas, numbered across the answer', async () => {
    upstream.route('POST', '/api/chat', {
      headers: ndjson,
      chunks: splitBytes(fixture(import.meta.url, 'chat-stream-tools.ndjson'), 64),
    });
    const stream = await adapter.chatStream!(
      {
        ...request,
        stream_options: undefined,
        tools: [{ type: 'function', function: { name: 'get_weather' } }],
      },
      contextFor(upstream),
    );
    const events = sseData(await readAll(stream.body));
    expect(withoutIds(events)).toEqual([
      chunk({ role: 'assistant', content: 'Hi' }),
      chunk({
        tool_calls: [
          {
            index: 0,
            id: 'call_a1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Tokyo"}' },
          },
        ],
      }),
      chunk({
        tool_calls: [
          {
            index: 1,
            id: 'call_b2',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
        ],
      }),
      chunk({}, 'tool_calls'),
      '[DONE]',
    ]);
    // Without include_usage no usage chunk is sent, but the gateway still learns the counts.
    expect(stream.usage()).toEqual({ prompt_tokens: 169, completion_tokens: 15, total_tokens: 184 });
  });

  it('reports zero tokens when the final line omits its metrics', async () => {
    upstream.route('POST', '/api/chat', {
      headers: ndjson,
      body: fixture(import.meta.url, 'chat-stream-no-metrics.ndjson'),
    });
    const stream = await adapter.chatStream!(request, contextFor(upstream));
    const events = sseData(await readAll(stream.body));
    expect(events.at(-2)).toMatchObject({
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    });
    expect(stream.usage()).toEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
  });

  it('throws UpstreamUnavailableError when the upstream closes mid-stream, never a quiet success', async () => {
    const lines = fixture(import.meta.url, 'chat-stream.ndjson')
      .split('\n')
      .slice(0, 2)
      .join('\n');
    upstream.route('POST', '/api/chat', {
      headers: ndjson,
      chunks: splitBytes(lines, 50),
      destroyAfterChunks: true,
    });
    const stream = await adapter.chatStream!(request, contextFor(upstream));
    const error = await failure(readAll(stream.body));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error).toMatchObject({ code: 'upstream_unavailable', provider: 'ollama' });
  });

  it('throws UpstreamUnavailableError when the stream ends cleanly but without done:true', async () => {
    const lines = fixture(import.meta.url, 'chat-stream.ndjson')
      .split('\n')
      .slice(0, 3)
      .join('\n');
    upstream.route('POST', '/api/chat', { headers: ndjson, body: `${lines}\n` });
    const stream = await adapter.chatStream!(request, contextFor(upstream));
    const received: unknown[] = [];
    const error = await failure(
      (async () => {
        for await (const bytes of stream.body) received.push(...sseData(new TextDecoder().decode(bytes)));
      })(),
    );
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error).toMatchObject({ message: 'Ollama: the stream ended before the answer was complete' });
    expect(received).toHaveLength(3);
    expect(received).not.toContain('[DONE]');
  });

  it('turns an {"error": ...} line mid-stream into a ProviderError with the upstream message', async () => {
    upstream.route('POST', '/api/chat', {
      headers: ndjson,
      body: fixture(import.meta.url, 'chat-stream-error.ndjson'),
    });
    const stream = await adapter.chatStream!(request, contextFor(upstream));
    const error = await failure(readAll(stream.body));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error).toMatchObject({
      upstreamMessage: 'an error was encountered while running the model: unexpected EOF',
      message: 'Ollama: an error was encountered while running the model: unexpected EOF',
    });
  });

  it('throws MalformedResponseError on a line that is not JSON', async () => {
    upstream.route('POST', '/api/chat', {
      headers: ndjson,
      body: '{"model":"llama3.2","message":{"content":"a"},"done":false}\n<html>\n',
    });
    const stream = await adapter.chatStream!(request, contextFor(upstream));
    expect(await failure(readAll(stream.body))).toBeInstanceOf(MalformedResponseError);
  });

  it('cancels the upstream request when the caller aborts mid-stream', async () => {
    const lines = fixture(import.meta.url, 'chat-stream.ndjson').split('\n');
    // The final line never comes: the upstream keeps the stream open until the client leaves.
    upstream.route('POST', '/api/chat', async (_request, response) => {
      response.writeHead(200, ndjson);
      response.write(`${lines[0]}\n`);
    });
    const controller = new AbortController();
    const stream = await adapter.chatStream!(request, contextFor(upstream, {}, controller.signal));
    const iterator = stream.body[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(sseData(new TextDecoder().decode(first.value))[0]).toMatchObject({
      choices: [{ delta: { content: 'Le ciel' } }],
    });
    controller.abort();
    const error = await failure(iterator.next());
    expect(error).toBeInstanceOf(AbortedError);
    await expect.poll(() => upstream.aborted.length).toBe(1);
    expect(upstream.aborted[0]?.path).toBe('/api/chat');
  });

  it('throws TimeoutError when the stream goes silent longer than the idle timeout', async () => {
    const line = fixture(import.meta.url, 'chat-stream.ndjson').split('\n')[0];
    upstream.route('POST', '/api/chat', (_request, response) => {
      response.writeHead(200, ndjson);
      response.write(`${line}\n`);
    });
    const idle = isolatedAdapter(createOllamaAdapter, { idleMs: 200 });
    try {
      const stream = await idle.adapter.chatStream!(request, contextFor(upstream));
      const error = await failure(readAll(stream.body));
      expect(error).toBeInstanceOf(TimeoutError);
      expect(error).toMatchObject({ code: 'timeout', provider: 'ollama' });
    } finally {
      await idle.close();
    }
  });

  it('cancels the upstream request when the caller aborts before the answer starts', async () => {
    upstream.route('POST', '/api/chat', { hang: true });
    const controller = new AbortController();
    const pending = adapter.chatStream!(request, contextFor(upstream, {}, controller.signal));
    await expect.poll(() => upstream.requests.length).toBe(1);
    controller.abort();
    expect(await failure(pending)).toBeInstanceOf(AbortedError);
    await expect.poll(() => upstream.aborted.length).toBe(1);
  });
});
