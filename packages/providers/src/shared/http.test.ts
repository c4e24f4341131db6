import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortedError,
  type CancelSignal,
  TimeoutError,
  UpstreamUnavailableError,
} from '@switchboard/provider-spec';
import { Exchange } from './exchange.ts';
import { createHttpClient, type HttpClient } from './http.ts';

type Route = (request: IncomingMessage, response: ServerResponse) => void;

/** 8 MiB: more than the socket buffers hold, so a slow reader really pauses the upstream. */
const LARGE_BYTES = 8 * 1024 * 1024;

let server: Server;
let origin: string;
const routes = new Map<string, Route>();
/** Resolves with whether the server's response was finished when its connection closed. */
const closed = new Map<string, Promise<boolean>>();

const dispatcher = new Agent({ keepAliveTimeout: 1_000 });
const client: HttpClient = createHttpClient({ dispatcher }, (text) => ({ message: text }));
const context = { provider: 'openai-compatible' as const, label: 'Test', secrets: ['sk-test-fake-0000'] };

class TestSignal extends EventEmitter {
  aborted = false;
  reason: unknown;
  abort() {
    this.aborted = true;
    this.reason = new DOMException('The client went away', 'AbortError');
    this.emit('abort');
  }
}

function post(path: string, signal: CancelSignal = new TestSignal()) {
  return client.send({ method: 'POST', url: `${origin}${path}`, body: { hello: 'world' }, signal }, context);
}

beforeAll(async () => {
  server = createServer((request, response) => {
    const path = request.url ?? '/';
    closed.set(
      path,
      new Promise((resolve) => response.on('close', () => resolve(response.writableFinished))),
    );
    request.resume();
    request.on('end', () => routes.get(path)?.(request, response));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  routes.set('/json', (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json', 'x-multi': ['a', 'b'] });
    response.write('{"answer":');
    setTimeout(() => response.end('42}'), 10);
  });
  routes.set('/endless', (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.write('data: 1\n\n');
    const timer = setInterval(() => response.write('data: more\n\n'), 5);
    response.on('close', () => clearInterval(timer));
  });
  routes.set('/large', (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/octet-stream' });
    let sent = 0;
    const pump = () => {
      while (sent < LARGE_BYTES) {
        const part = Buffer.alloc(64 * 1024, sent / (64 * 1024));
        sent += part.length;
        if (!response.write(part)) return void response.once('drain', pump);
      }
      response.end();
    };
    pump();
  });
  routes.set('/cut', (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.write('data: 1\n\n');
    setTimeout(() => response.socket?.destroy(), 20);
  });
  routes.set('/refused', (_request, response) => {
    response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' });
    response.end('slow down');
  });
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await dispatcher.close();
});

describe('createHttpClient', () => {
  it('reads a body sent in parts whole, and headers by lower-case name, repeated ones as a list', async () => {
    const response = await post('/json');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.headers['x-multi']).toEqual(['a', 'b']);
    expect(await response.json()).toEqual({ answer: 42 });
  });

  it('reads one header without parsing them all (the first of a repeated one), and the same after', async () => {
    const response = await post('/json');
    expect(response.header('content-type')).toBe('application/json');
    expect(response.header('x-multi')).toBe('a');
    expect(response.header('retry-after')).toBeUndefined();
    expect(response.headers['x-multi']).toEqual(['a', 'b']);
    expect(response.header('x-multi')).toBe('a');
    await response.text();
  });

  it('reads a body chunk by chunk and, when the reader stops early, ends the upstream response', async () => {
    const response = await post('/endless');
    const seen: string[] = [];
    for await (const chunk of response.body) {
      seen.push(Buffer.from(chunk).toString('utf8'));
      if (seen.length === 3) break;
    }
    expect(seen[0]).toBe('data: 1\n\n');
    expect(await closed.get('/endless')).toBe(false);
  });

  it('gives a slow reader a large body whole and in order, pausing and resuming the upstream', async () => {
    const response = await post('/large');
    let received = 0;
    let inOrder = true;
    for await (const chunk of response.body) {
      // Each 64 KiB block the server wrote is filled with its own index.
      for (let index = 0; index < chunk.length; index += 4096) {
        if (chunk[index] !== Math.floor((received + index) / (64 * 1024)) % 256) inOrder = false;
      }
      received += chunk.length;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(received).toBe(LARGE_BYTES);
    expect(inOrder).toBe(true);
  });

  it('cancels the upstream request when the signal fires mid-body, and the reader sees AbortedError', async () => {
    const signal = new TestSignal();
    const response = await post('/endless', signal);
    const iterator = response.body[Symbol.asyncIterator]();
    await iterator.next();
    signal.abort();
    await expect(
      (async () => {
        for (;;) if ((await iterator.next()).done) return 'ended';
      })(),
    ).rejects.toBeInstanceOf(AbortedError);
    expect(await closed.get('/endless')).toBe(false);
    expect(signal.listenerCount('abort')).toBe(0);
  });

  it('refuses at once when the signal fired before the request was sent', async () => {
    const signal = new TestSignal();
    signal.abort();
    await expect(post('/json', signal)).rejects.toBeInstanceOf(AbortedError);
  });

  it('turns a connection cut mid-body into UpstreamUnavailableError for the reader', async () => {
    const response = await post('/cut');
    const read = (async () => {
      for await (const _chunk of response.body) {
        // read to the end
      }
    })();
    await expect(read).rejects.toBeInstanceOf(UpstreamUnavailableError);
  });

  it('reads an error status with its body and headers (Retry-After) into a ProviderError', async () => {
    await expect(post('/refused')).rejects.toMatchObject({ code: 'rate_limited', retryAfterMs: 7_000 });
  });
});

describe('timeouts', () => {
  const impatient = createHttpClient({ dispatcher, timeouts: { firstByteMs: 150, idleMs: 150 } }, (text) => ({
    message: text,
  }));
  const send = (path: string) =>
    impatient.send({ method: 'POST', url: `${origin}${path}`, body: {}, signal: new TestSignal() }, context);

  beforeAll(() => {
    routes.set('/silent', () => undefined);
    routes.set('/stalls', (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: 1\n\n');
    });
  });

  it('fails a call with no response head within the first-byte limit', async () => {
    const error = await send('/silent').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toContain('first-byte timeout');
  });

  it('fails a body that goes silent for the idle limit', async () => {
    const response = await send('/stalls');
    const reading = (async () => {
      for await (const _chunk of response.body);
    })();
    const error = await reading.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toContain('idle timeout');
  });

  it('does not count a reader that falls behind as the upstream going silent', async () => {
    const response = await send('/large');
    let received = 0;
    let first = true;
    for await (const chunk of response.body) {
      received += chunk.length;
      // Far longer than the idle limit, with the upstream paused behind the unread bytes.
      if (first) await new Promise((resolve) => setTimeout(resolve, 600));
      first = false;
    }
    expect(received).toBe(LARGE_BYTES);
  });
});

describe('Exchange (the dispatch handler)', () => {
  const chunk = () => Buffer.alloc(16 * 1024, 0x61);

  it('asks undici to pause past 64 KiB unread and to resume once the reader has caught up', async () => {
    const exchange = new Exchange(new TestSignal());
    let resumed = 0;
    exchange.onConnect(() => undefined);
    exchange.onHeaders(200, [], () => {
      resumed += 1;
    });
    const accepted: boolean[] = [];
    for (let index = 0; index < 6; index += 1) accepted.push(exchange.onData(chunk()));
    expect(accepted).toEqual([true, true, true, true, false, false]);
    for (let index = 0; index < 3; index += 1) await exchange.next();
    expect(resumed).toBe(0);
    await exchange.next();
    expect(resumed).toBe(1);
    exchange.onComplete();
    await exchange.next();
    await exchange.next();
    expect(await exchange.next()).toEqual({ done: true, value: undefined });
  });

  it('never pauses while the body is read whole', async () => {
    const exchange = new Exchange(new TestSignal());
    exchange.onConnect(() => undefined);
    exchange.onHeaders(200, [], () => undefined);
    const whole = exchange.bytes();
    for (let index = 0; index < 10; index += 1) expect(exchange.onData(chunk())).toBe(true);
    exchange.onComplete();
    expect((await whole).length).toBe(10 * 16 * 1024);
  });
});
