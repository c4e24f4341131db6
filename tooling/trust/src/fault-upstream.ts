import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * How an upstream key behaves, chosen by the first segment of its base URL
 * (`http://127.0.0.1:PORT/<mode>/v1`): each credential of a model can fail its own way.
 */
export type UpstreamMode = 'ok' | 'reset' | 'stall' | 'garbage' | 'flood429' | 'slow';

/** A local OpenAI-compatible upstream whose keys misbehave on purpose; every answer echoes the caller's tag. */
export interface FaultUpstream {
  url: string;
  /** Base URL of a key that behaves as `mode`. */
  baseUrl(mode: UpstreamMode): string;
  /** Calls received per mode (chat, streams, embeddings). */
  calls: Record<UpstreamMode, number>;
  /** Every `Authorization` header a key check (`GET /models`) carried: proof a stored secret decrypted. */
  keysSeen: Set<string>;
  /** How many calls carried each caller tag (the last message, or the embedding input). */
  tags: Map<string, number>;
  /** Upstream calls whose connection the gateway closed before the answer ended (stalls given up). */
  abandoned(): number;
  close(): Promise<void>;
}

const MODES: readonly UpstreamMode[] = ['ok', 'reset', 'stall', 'garbage', 'flood429', 'slow'];

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** The caller's tag: the last message's text, which every answer repeats so a mix-up shows. */
function tagOf(body: Record<string, unknown>): string {
  const messages = body.messages as { content?: unknown }[] | undefined;
  const input = body.input;
  const text = messages?.at(-1)?.content ?? (Array.isArray(input) ? input[0] : input);
  return typeof text === 'string' ? text : '';
}

const completion = (model: string, tag: string) => ({
  id: `chatcmpl-${tag}`,
  object: 'chat.completion',
  created: 1_764_000_000,
  model,
  choices: [{ index: 0, message: { role: 'assistant', content: `echo ${tag}` }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
});

const chunk = (model: string, delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-s', object: 'chat.completion.chunk', created: 1_764_000_000, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

/** Starts the upstream on 127.0.0.1 and a free port. */
export async function startFaultUpstream(
  models: readonly string[] = ['trust-model', 'trust-embed'],
): Promise<FaultUpstream> {
  const calls = Object.fromEntries(MODES.map((mode) => [mode, 0])) as Record<UpstreamMode, number>;
  const sockets = new Set<Socket>();
  let abandoned = 0;
  const keysSeen = new Set<string>();
  const tags = new Map<string, number>();

  const serve = async (request: IncomingMessage, response: ServerResponse) => {
    const [, modeSegment, ...rest] = (request.url ?? '/').split('?')[0]?.split('/') ?? [];
    const mode = (MODES as readonly string[]).includes(modeSegment ?? '')
      ? (modeSegment as UpstreamMode)
      : 'ok';
    const path = `/${rest.join('/')}`;
    if (request.method === 'GET' && path === '/v1/models') {
      keysSeen.add(request.headers.authorization ?? '');
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          object: 'list',
          data: models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'trust' })),
        }),
      );
      return;
    }
    const body = await readJson(request);
    calls[mode]++;
    response.on('close', () => {
      if (!response.writableFinished) abandoned++;
    });
    const model = typeof body.model === 'string' ? body.model : 'trust-model';
    const tag = tagOf(body);
    tags.set(tag, (tags.get(tag) ?? 0) + 1);
    switch (mode) {
      case 'reset':
        if (body.stream) {
          response.writeHead(200, { 'content-type': 'text/event-stream' });
          response.write(chunk(model, { role: 'assistant', content: 'half' }));
          setTimeout(() => request.socket.destroy(), 20);
        } else request.socket.destroy();
        return;
      case 'stall':
        if (body.stream) {
          response.writeHead(200, { 'content-type': 'text/event-stream' });
          response.write(chunk(model, { role: 'assistant', content: 'then nothing' }));
        }
        // Nothing more, ever: the gateway must give up when its client does.
        return;
      case 'garbage':
        response.writeHead(200, { 'content-type': body.stream ? 'text/event-stream' : 'application/json' });
        response.end(body.stream ? 'data: {"choices":[{"delta":\n\ndata: ]]]\n\n' : '<html>not json at all');
        return;
      case 'flood429':
        response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
        response.end(
          JSON.stringify({
            error: { message: 'Rate limit reached', type: 'rate_limit_error', code: 'rate_limit_exceeded' },
          }),
        );
        return;
      default:
        break;
    }
    const pause = mode === 'slow' ? 40 : 0;
    if (path === '/v1/embeddings') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          object: 'list',
          data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2, 0.3] }],
          model: `${model}:${tag}`,
          usage: { prompt_tokens: 2, total_tokens: 2 },
        }),
      );
      return;
    }
    if (body.stream) {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      const parts = [
        chunk(model, { role: 'assistant', content: 'echo ' }),
        chunk(model, { content: tag }),
        chunk(model, {}, 'stop'),
      ];
      for (const part of parts) {
        response.write(part);
        if (pause) await new Promise((resolve) => setTimeout(resolve, pause));
      }
      response.write(
        `data: ${JSON.stringify({ id: 'chatcmpl-s', object: 'chat.completion.chunk', created: 1_764_000_000, model, choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } })}\n\n`,
      );
      response.end('data: [DONE]\n\n');
      return;
    }
    if (pause) await new Promise((resolve) => setTimeout(resolve, pause));
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(completion(model, tag)));
  };

  const server = createServer((request, response) => {
    serve(request, response).catch(() => request.socket.destroy());
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    baseUrl: (mode) => `${url}/${mode}/v1`,
    calls,
    keysSeen,
    tags,
    abandoned: () => abandoned,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
