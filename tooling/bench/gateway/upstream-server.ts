// The benchmark's upstream, run as its own process so its work never shares an event loop with
// the proxies being measured. It answers like OpenAI with fixed bodies, as cheaply as it can, and
// prints `{"port":N}` on stdout once it listens on 127.0.0.1.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { STREAM_CHUNKS } from './shared.ts';

const created = 1_764_460_800;
const completionId = 'chatcmpl-bench0001';

const completionBody = Buffer.from(
  JSON.stringify({
    id: completionId,
    object: 'chat.completion',
    created,
    model: 'bench-model',
    system_fingerprint: 'fp_bench',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'Hello! How can I help you today?', refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: {
      prompt_tokens: 12,
      completion_tokens: 9,
      total_tokens: 21,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
    },
  }),
);

const modelsBody = Buffer.from(
  JSON.stringify({
    object: 'list',
    data: [
      { id: 'bench-model', object: 'model', created, owned_by: 'bench' },
      { id: 'bench-model-slow', object: 'model', created, owned_by: 'bench' },
      // The predefined models the Responses and Messages API loads are routed to.
      { id: 'gpt-4.1-mini', object: 'model', created, owned_by: 'openai' },
      { id: 'claude-haiku-4-5-20251001', object: 'model', created, owned_by: 'anthropic' },
    ],
  }),
);

// The Responses API and the Messages API, as OpenAI and Anthropic answer them (fixed bodies).
const responsesBody = Buffer.from(
  JSON.stringify({
    id: 'resp_bench0001',
    object: 'response',
    created_at: created,
    status: 'completed',
    error: null,
    incomplete_details: null,
    model: 'gpt-4.1-mini-2025-04-14',
    output: [
      {
        type: 'message',
        id: 'msg_bench0001',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'Hello! How can I help you today?', annotations: [] }],
      },
    ],
    usage: { input_tokens: 12, output_tokens: 9, total_tokens: 21 },
  }),
);
const messagesBody = Buffer.from(
  JSON.stringify({
    id: 'msg_bench0001',
    type: 'message',
    role: 'assistant',
    model: 'claude-haiku-4-5-20251001',
    content: [{ type: 'text', text: 'Hello! How can I help you today?' }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 9 },
  }),
);

/** Reads and parses the body (as the real APIs do), then sends a fixed answer. */
function answerFixed(request: IncomingMessage, response: ServerResponse, body: Buffer): void {
  const parts: Buffer[] = [];
  request.on('data', (part: Buffer) => parts.push(part));
  request.on('end', () => {
    try {
      JSON.parse(Buffer.concat(parts).toString('utf8'));
    } catch {
      send(response, 400, Buffer.from('{"error":{"message":"invalid JSON","type":"invalid_request_error"}}'));
      return;
    }
    send(response, 200, body);
  });
}

function chunkEvent(delta: object, finishReason: string | null): Buffer {
  const chunk = {
    id: completionId,
    object: 'chat.completion.chunk',
    created,
    model: 'bench-model',
    system_fingerprint: 'fp_bench',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  };
  return Buffer.from(`data: ${JSON.stringify(chunk)}\n\n`);
}

// Built once: the stream is the same for every request, and the upstream must stay cheap.
const streamEvents: Buffer[] = [
  chunkEvent({ role: 'assistant', content: '', refusal: null }, null),
  ...Array.from({ length: STREAM_CHUNKS - 2 }, (_, index) => chunkEvent({ content: ` w${index}` }, null)),
  chunkEvent({}, 'stop'),
];
const doneEvent = Buffer.from('data: [DONE]\n\n');

const fastSpacingMs = Number(process.env.BENCH_FAST_SPACING_MS ?? '1');
const slowSpacingMs = Number(process.env.BENCH_SLOW_SPACING_MS ?? '25');

interface ActiveStream {
  response: ServerResponse;
  next: number;
}

// Slow streams (model name containing "slow") advance together on one shared ticker, so a
// thousand of them cost one timer rather than a thousand.
const slowStreams = new Set<ActiveStream>();
let slowTicker: NodeJS.Timeout | undefined;
// The most slow streams held at once since the last GET /bench/stats: whether a gateway really
// kept them all open upstream, or queued them behind a connection limit.
let peakSlowStreams = 0;

function writeNext(stream: ActiveStream): boolean {
  const event = streamEvents[stream.next];
  stream.next += 1;
  if (event === undefined) {
    stream.response.end(doneEvent);
    return false;
  }
  stream.response.write(event);
  return true;
}

function tickSlowStreams(): void {
  for (const stream of slowStreams) {
    if (!writeNext(stream)) slowStreams.delete(stream);
  }
  if (slowStreams.size === 0 && slowTicker) {
    clearInterval(slowTicker);
    slowTicker = undefined;
  }
}

function startStream(response: ServerResponse, slow: boolean): void {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
  });
  const stream: ActiveStream = { response, next: 0 };
  // The first chunk leaves with the headers: time to first byte is the upstream's best case.
  writeNext(stream);
  const closed = () => slowStreams.delete(stream);
  response.on('close', closed);
  if (slow) {
    slowStreams.add(stream);
    peakSlowStreams = Math.max(peakSlowStreams, slowStreams.size);
    slowTicker ??= setInterval(tickSlowStreams, slowSpacingMs);
    return;
  }
  const step = () => {
    if (response.destroyed) return;
    if (writeNext(stream)) setTimeout(step, fastSpacingMs);
  };
  setTimeout(step, fastSpacingMs);
}

function send(response: ServerResponse, status: number, body: Buffer): void {
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length });
  response.end(body);
}

// The 429 storm (`POST /bench/storm`): while it is on, a rotating share of the storm keys
// (`sk-test-fake-storm-NNNN`) is rate limited, a new share every period, so keys keep resting
// and coming back as under a real provider's limits. Other keys are never limited.
const storm = { fraction: 0, periodMs: 1000, rateLimited: 0, served: 0 };
const stormKey = /^Bearer sk-test-fake-storm-(\d+)$/;
const rateLimitBody = Buffer.from(
  JSON.stringify({
    error: {
      message: 'Rate limit reached for requests (bench storm). Please try again in 1s.',
      type: 'requests',
      param: null,
      code: 'rate_limit_exceeded',
    },
  }),
);

/** The storm key's index when the storm limits it right now, else undefined. */
function limitedStormKey(authorization: string | undefined): number | undefined {
  if (storm.fraction <= 0 || authorization === undefined) return undefined;
  const match = stormKey.exec(authorization);
  if (!match) return undefined;
  const index = Number(match[1]);
  const period = Math.floor(Date.now() / storm.periodMs);
  // A cheap hash of (key, period): each period limits a different, evenly spread share of keys.
  let mixed = Math.imul(index ^ Math.imul(period, 0x9e3779b1), 0x85ebca6b);
  mixed ^= mixed >>> 13;
  const bucket = (Math.imul(mixed, 0xc2b2ae35) >>> 0) % 1000;
  return bucket < storm.fraction * 1000 ? index : undefined;
}

/**
 * A 429 as OpenAI sends it, in the three shapes the gateway handles differently: Retry-After,
 * an exhausted limit's reset in the x-ratelimit headers, and nothing said about when.
 */
function sendRateLimited(response: ServerResponse, index: number): void {
  storm.rateLimited += 1;
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': rateLimitBody.length,
  };
  if (index % 3 === 0) headers['retry-after'] = '1';
  else if (index % 3 === 1) {
    headers['x-ratelimit-limit-requests'] = '60';
    headers['x-ratelimit-remaining-requests'] = '0';
    headers['x-ratelimit-reset-requests'] = '1s';
  }
  response.writeHead(429, headers);
  response.end(rateLimitBody);
}

function readStormSettings(request: IncomingMessage, response: ServerResponse): void {
  const parts: Buffer[] = [];
  request.on('data', (part: Buffer) => parts.push(part));
  request.on('end', () => {
    try {
      const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as {
        fraction?: unknown;
        periodMs?: unknown;
      };
      const fraction = Number(body.fraction);
      const periodMs = Number(body.periodMs ?? storm.periodMs);
      if (!(fraction >= 0 && fraction <= 1) || !(periodMs > 0)) throw new Error('out of range');
      storm.fraction = fraction;
      storm.periodMs = periodMs;
    } catch {
      send(response, 400, Buffer.from('{"error":{"message":"fraction must be 0..1, periodMs > 0"}}'));
      return;
    }
    send(response, 200, Buffer.from(JSON.stringify(storm)));
  });
}

function handleChat(request: IncomingMessage, response: ServerResponse): void {
  const parts: Buffer[] = [];
  request.on('data', (part: Buffer) => parts.push(part));
  request.on('end', () => {
    let body: { stream?: unknown; model?: unknown };
    try {
      body = JSON.parse(Buffer.concat(parts).toString('utf8')) as typeof body;
    } catch {
      send(response, 400, Buffer.from('{"error":{"message":"invalid JSON","type":"invalid_request_error"}}'));
      return;
    }
    const limited = limitedStormKey(request.headers.authorization);
    if (limited !== undefined) return sendRateLimited(response, limited);
    if (storm.fraction > 0) storm.served += 1;
    if (body.stream === true) startStream(response, String(body.model).includes('slow'));
    else send(response, 200, completionBody);
  });
}

const server = createServer((request, response) => {
  const path = request.url ?? '/';
  if (request.method === 'POST' && path === '/v1/chat/completions') return handleChat(request, response);
  if (request.method === 'POST' && path === '/v1/responses')
    return answerFixed(request, response, responsesBody);
  if (request.method === 'POST' && path === '/v1/messages')
    return answerFixed(request, response, messagesBody);
  if (request.method === 'GET' && path.startsWith('/v1/models')) return send(response, 200, modelsBody);
  if (request.method === 'POST' && path === '/bench/storm') return readStormSettings(request, response);
  if (request.method === 'GET' && path === '/bench/storm') {
    // Counts since the last read: how many calls the storm refused and how many it let through.
    const counts = Buffer.from(JSON.stringify({ rateLimited: storm.rateLimited, served: storm.served }));
    storm.rateLimited = 0;
    storm.served = 0;
    return send(response, 200, counts);
  }
  if (request.method === 'GET' && path === '/bench/stats') {
    const stats = Buffer.from(JSON.stringify({ peakSlowStreams, openSlowStreams: slowStreams.size }));
    peakSlowStreams = slowStreams.size;
    return send(response, 200, stats);
  }
  send(response, 404, Buffer.from('{"error":{"message":"not found","type":"invalid_request_error"}}'));
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 61_000;
server.maxHeadersCount = 100;

server.listen(0, '127.0.0.1', 2048, () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
