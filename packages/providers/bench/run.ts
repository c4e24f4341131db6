// Benchmark of the provider adapters (`pnpm --filter @switchboard/providers bench`). Not a test: it
// prints one JSON line and a table. Everything runs against a node:http upstream on 127.0.0.1.
//
// (a) Translation cost: a 10,000-event stream in Anthropic's, Gemini's and Ollama's format, read
//     through adapter.chatStream (parse + re-encode as OpenAI SSE), against reading the very same
//     upstream bytes through the same dispatcher unchanged. Reported as a ratio of medians.
// (b) Dispatcher reuse: 10,000 sequential chat calls through the process-wide keep-alive
//     dispatcher, counting the TCP connections the upstream accepted.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Agent } from 'undici';
import type { ChatRequest, ProviderAdapter } from '@switchboard/provider-spec';
import { createAnthropicAdapter } from '../src/anthropic/index.ts';
import { createGeminiAdapter } from '../src/gemini/index.ts';
import { createOllamaAdapter } from '../src/ollama/index.ts';
import { createHttpClient, type HttpSettings, sharedDispatcher } from '../src/shared/http.ts';

const EVENTS = 10_000;
const CALLS = 10_000;
const WARMUP_RUNS = 5;
const MEASURED_RUNS = 15;
/** Bytes per upstream write in `burst` mode. */
const BURST_SIZE = 16 * 1024;

/**
 * How the upstream writes its stream: `event` flushes every event on its own, as a model
 * emitting tokens does; `burst` writes 16 KiB at a time, the worst case for the translator,
 * where the upstream is faster than the parsing and the transport costs nearly nothing.
 */
type WriteMode = 'event' | 'burst';
const MODES: WriteMode[] = ['event', 'burst'];

type Format = 'anthropic' | 'gemini' | 'ollama';

// Varied token texts, a few with multi-byte characters, as a real answer has.
const token = (index: number): string => (index % 50 === 49 ? ' café—ok' : ` word${index % 997}`);

function anthropicStream(): string[] {
  const events: string[] = [];
  const event = (name: string, data: unknown) =>
    events.push(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  event('message_start', {
    type: 'message_start',
    message: {
      id: 'msg_bench',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: {
        input_tokens: 12,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        output_tokens: 1,
      },
    },
  });
  event('content_block_start', {
    type: 'content_block_start',
    index: 0,
    content_block: { type: 'text', text: '' },
  });
  for (let index = 0; index < EVENTS - 5; index++) {
    event('content_block_delta', {
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text: token(index) },
    });
  }
  event('content_block_stop', { type: 'content_block_stop', index: 0 });
  event('message_delta', {
    type: 'message_delta',
    delta: { stop_reason: 'end_turn', stop_sequence: null },
    usage: { output_tokens: EVENTS - 5 },
  });
  event('message_stop', { type: 'message_stop' });
  return events;
}

function geminiStream(): string[] {
  const events: string[] = [];
  for (let index = 0; index < EVENTS; index++) {
    const last = index === EVENTS - 1;
    const data = {
      candidates: [
        {
          content: { parts: [{ text: token(index) }], role: 'model' },
          ...(last ? { finishReason: 'STOP' } : {}),
          index: 0,
        },
      ],
      usageMetadata: { promptTokenCount: 7, candidatesTokenCount: index + 1, totalTokenCount: index + 8 },
      modelVersion: 'gemini-2.5-flash',
      responseId: 'bench',
    };
    events.push(`data: ${JSON.stringify(data)}\r\n\r\n`);
  }
  return events;
}

function ollamaStream(): string[] {
  const lines: string[] = [];
  for (let index = 0; index < EVENTS - 1; index++) {
    lines.push(
      JSON.stringify({
        model: 'llama3.2',
        created_at: '2026-08-01T10:00:00.1Z',
        message: { role: 'assistant', content: token(index) },
        done: false,
      }),
    );
  }
  lines.push(
    JSON.stringify({
      model: 'llama3.2',
      created_at: '2026-08-01T10:00:00.3Z',
      message: { role: 'assistant', content: '' },
      done: true,
      done_reason: 'stop',
      prompt_eval_count: 26,
      eval_count: EVENTS - 1,
    }),
  );
  return lines.map((line) => `${line}\n`);
}

/** The pre-built writes of one stream, in both modes. */
function writesOf(
  events: string[],
  contentType: string,
): { writes: Record<WriteMode, Buffer[]>; contentType: string } {
  const bytes = Buffer.from(events.join(''), 'utf8');
  const burst: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += BURST_SIZE)
    burst.push(bytes.subarray(offset, offset + BURST_SIZE));
  return { writes: { event: events.map((event) => Buffer.from(event, 'utf8')), burst }, contentType };
}

const STREAMS: Record<Format, { writes: Record<WriteMode, Buffer[]>; contentType: string }> = {
  anthropic: writesOf(anthropicStream(), 'text/event-stream'),
  gemini: writesOf(geminiStream(), 'text/event-stream'),
  ollama: writesOf(ollamaStream(), 'application/x-ndjson'),
};

/** The mode the next stream is written in; the benchmark is sequential, so one setting serves. */
let currentMode: WriteMode = 'event';

/** Which stream a request path asks for, whatever prefix the adapter puts before it. */
function formatOf(path: string): Format | 'chat' {
  if (path.includes(':streamGenerateContent')) return 'gemini';
  if (path.includes('/v1/messages')) return 'anthropic';
  return 'chat';
}

const CHAT_ANSWER = JSON.stringify({
  model: 'llama3.2',
  created_at: '2026-08-01T10:00:00.3Z',
  message: { role: 'assistant', content: 'Hello! How are you today?' },
  done: true,
  done_reason: 'stop',
  prompt_eval_count: 26,
  eval_count: 7,
});

interface Upstream {
  url: string;
  connections(): number;
  close(): Promise<void>;
}

async function startUpstream(): Promise<Upstream> {
  let connections = 0;
  const server: Server = createServer(async (incoming, response) => {
    let body = '';
    for await (const chunk of incoming) body += chunk;
    const path = incoming.url ?? '/';
    // Ollama's /api/chat serves both benchmarks: a streaming request gets the stream.
    const format = path.startsWith('/api/chat')
      ? body.includes('"stream":true')
        ? 'ollama'
        : 'chat'
      : formatOf(path);
    if (format === 'chat') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(CHAT_ANSWER);
      return;
    }
    const stream = STREAMS[format];
    response.writeHead(200, { 'content-type': stream.contentType });
    for (const chunk of stream.writes[currentMode]) {
      if (!response.write(chunk)) await new Promise((resolve) => response.once('drain', resolve));
    }
    response.end();
  });
  server.on('connection', () => connections++);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The adapters of the three translated formats. */
function translatingAdapters(settings: HttpSettings): Record<Format, ProviderAdapter> {
  return {
    anthropic: createAnthropicAdapter(settings),
    gemini: createGeminiAdapter(settings),
    ollama: createOllamaAdapter(settings),
  };
}

const MODELS: Record<Format, string> = {
  anthropic: 'claude-sonnet-4-5',
  gemini: 'gemini-2.5-flash',
  ollama: 'llama3.2',
};

/** The raw path of each format, as its adapter would call it. */
const RAW_PATHS: Record<Format, string> = {
  anthropic: '/v1/messages',
  gemini: '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
  ollama: '/api/chat',
};

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

async function timeTranslated(
  adapter: ProviderAdapter,
  format: Format,
  url: string,
): Promise<{ ms: number; bytes: number }> {
  const chat: ChatRequest = {
    model: MODELS[format],
    messages: [{ role: 'user', content: 'Write a long story.' }],
    stream: true,
    stream_options: { include_usage: true },
  };
  const context = {
    credentials: { api_key: 'bench-key-0001', base_url: url },
    signal: new AbortController().signal,
  };
  const start = performance.now();
  const stream = await adapter.chatStream!(chat, context);
  let bytes = 0;
  let last: Uint8Array | undefined;
  for await (const chunk of stream.body) {
    bytes += chunk.byteLength;
    last = chunk;
  }
  const ms = performance.now() - start;
  if (!last || !Buffer.from(last).toString('utf8').endsWith('data: [DONE]\n\n')) {
    throw new Error(`${format}: the translated stream did not end with [DONE]`);
  }
  return { ms, bytes };
}

async function timeRaw(dispatcher: Agent, url: string): Promise<{ ms: number; bytes: number }> {
  // The same HTTP client the adapters use, so the ratio is the translation's cost alone.
  const client = createHttpClient({ dispatcher }, (text) => ({ message: text }));
  const start = performance.now();
  const response = await client.send(
    { method: 'POST', url, body: { stream: true }, signal: new AbortController().signal },
    { provider: 'openai-compatible', label: 'raw', secrets: [] },
  );
  let bytes = 0;
  for await (const chunk of response.body) bytes += chunk.byteLength;
  return { ms: performance.now() - start, bytes };
}

interface TranslationResult {
  events: number;
  upstreamBytes: number;
  translatedBytes: number;
  passthroughMs: number;
  translatedMs: number;
  /** translatedMs / passthroughMs. */
  ratio: number;
  /** CPU the translation adds per event, in microseconds. */
  addedMicrosecondsPerEvent: number;
}

type TranslationResults = Record<WriteMode, Partial<Record<Format, TranslationResult>>>;

async function benchTranslation(upstream: Upstream): Promise<TranslationResults> {
  const dispatcher = new Agent({ keepAliveTimeout: 60_000 });
  const adapters = translatingAdapters({ dispatcher });
  const results: TranslationResults = { event: {}, burst: {} };
  try {
    for (const mode of MODES) {
      currentMode = mode;
      for (const format of ['anthropic', 'gemini', 'ollama'] as const) {
        const adapter = adapters[format];
        const rawUrl = `${upstream.url}${RAW_PATHS[format]}`;
        for (let run = 0; run < WARMUP_RUNS; run++) {
          await timeTranslated(adapter, format, upstream.url);
          await timeRaw(dispatcher, rawUrl);
        }
        const translated: number[] = [];
        const raw: number[] = [];
        let translatedBytes = 0;
        let upstreamBytes = 0;
        // Interleaved, so that a slow moment of the machine hits both sides alike.
        for (let run = 0; run < MEASURED_RUNS; run++) {
          const a = await timeTranslated(adapter, format, upstream.url);
          const b = await timeRaw(dispatcher, rawUrl);
          translated.push(a.ms);
          raw.push(b.ms);
          translatedBytes = a.bytes;
          upstreamBytes = b.bytes;
        }
        const translatedMs = median(translated);
        const passthroughMs = median(raw);
        results[mode][format] = {
          events: EVENTS,
          upstreamBytes,
          translatedBytes,
          passthroughMs: round(passthroughMs),
          translatedMs: round(translatedMs),
          ratio: round(translatedMs / passthroughMs),
          addedMicrosecondsPerEvent: round(((translatedMs - passthroughMs) * 1000) / EVENTS),
        };
      }
    }
  } finally {
    await dispatcher.close();
  }
  return results;
}

interface ReuseResult {
  calls: number;
  connections: number;
  connectionsPerCall: number;
  totalMs: number;
}

/** Sequential Ollama chat calls through the default (process-wide) dispatcher, as the gateway makes them. */
async function benchReuse(upstream: Upstream): Promise<ReuseResult> {
  const adapter = createOllamaAdapter();
  const before = upstream.connections();
  const context = { credentials: { base_url: upstream.url }, signal: new AbortController().signal };
  const chat: ChatRequest = { model: 'llama3.2', messages: [{ role: 'user', content: 'Hello!' }] };
  const start = performance.now();
  for (let call = 0; call < CALLS; call++) await adapter.chat!(chat, context);
  const totalMs = performance.now() - start;
  const connections = upstream.connections() - before;
  return { calls: CALLS, connections, connectionsPerCall: connections / CALLS, totalMs: round(totalMs) };
}

const round = (value: number): number => Math.round(value * 1000) / 1000;

async function main(): Promise<void> {
  const upstream = await startUpstream();
  try {
    const translation = await benchTranslation(upstream);
    const reuse = await benchReuse(upstream);
    console.log(
      JSON.stringify({ benchmark: 'providers', node: process.version, translation, dispatcher: reuse }),
    );
    for (const mode of MODES) {
      console.log('');
      console.log(
        `Translation of a ${EVENTS.toLocaleString('en')}-event stream, upstream writing ${
          mode === 'event' ? 'one event per write' : `${BURST_SIZE / 1024} KiB per write`
        } (median of ${MEASURED_RUNS} runs)`,
      );
      console.log('provider   | upstream KiB | pass-through ms | translated ms | ratio  | added µs/event');
      console.log('-----------|--------------|-----------------|---------------|--------|---------------');
      for (const format of ['anthropic', 'gemini', 'ollama'] as const) {
        const result = translation[mode][format];
        if (!result) {
          console.log(`${format.padEnd(10)} | adapter not in this tree`);
          continue;
        }
        console.log(
          [
            format.padEnd(10),
            String(Math.round(result.upstreamBytes / 1024)).padStart(12),
            result.passthroughMs.toFixed(1).padStart(15),
            result.translatedMs.toFixed(1).padStart(13),
            `${result.ratio.toFixed(2)}x`.padStart(6),
            result.addedMicrosecondsPerEvent.toFixed(2).padStart(14),
          ].join(' | '),
        );
      }
    }
    console.log('');
    console.log(
      `Dispatcher reuse: ${reuse.calls.toLocaleString('en')} sequential calls opened ${reuse.connections} connection(s): ` +
        `${reuse.connectionsPerCall} per call`,
    );
  } finally {
    await sharedDispatcher().close();
    await upstream.close();
  }
}

await main();
