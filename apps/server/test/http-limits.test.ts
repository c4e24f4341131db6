import { createApiKey, setupFirstOwner } from '@switchboard/core';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../src/gateway/gateway.ts';
import { DEFAULT_HTTP_LIMITS } from '../src/http/limits.ts';
import { createLogger } from '../src/log.ts';
import type { RunningServer } from '../src/server.ts';
import { startTestServer } from './helpers.ts';
import { RawConnection, rawRequest } from './raw-http.ts';

// Real sockets against a started server, with small limits so every case ends quickly by itself.
const BODY_IDLE_MS = 400;
const BODY_TIMEOUT_MS = 1_500;
const MAX_JSON_BYTES = 8 * 1024;
const MAX_TRPC_BYTES = 16 * 1024;

const pause = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** Sends `body` one byte at a time, a little faster than the idle limit, until the connection ends. */
async function trickle(connection: RawConnection, body: string): Promise<void> {
  for (const byte of body) {
    if (connection.isClosed) return;
    connection.send(byte);
    await pause(BODY_IDLE_MS / 4);
  }
}

describe('HTTP limits on a started server', () => {
  let server: RunningServer;
  let apiKey: string;
  const logLines: { level: string; msg: string }[] = [];

  beforeAll(async () => {
    server = await startTestServer(
      'sqlite',
      {
        gatewayLimits: {
          ...DEFAULT_LIMITS,
          maxJsonBytes: MAX_JSON_BYTES,
          bodyIdleMs: BODY_IDLE_MS,
          bodyTimeoutMs: BODY_TIMEOUT_MS,
        },
        httpLimits: {
          ...DEFAULT_HTTP_LIMITS,
          maxTrpcBytes: MAX_TRPC_BYTES,
          bodyIdleMs: BODY_IDLE_MS,
          bodyTimeoutMs: BODY_TIMEOUT_MS,
          headersTimeoutMs: 800,
        },
      },
      createLogger('debug', (line) => logLines.push(JSON.parse(line))),
    );
    const setup = await setupFirstOwner(server.core, {
      email: 'limits@example.test',
      password: 'long enough pass',
      workspaceName: 'Limits',
    });
    const actor = { kind: 'user' as const, userId: setup.user.id };
    apiKey = (await createApiKey(server.core, actor, { workspaceId: setup.workspace.id, name: 'limits' }))
      .key;
  });
  afterAll(() => server?.stop());

  const chat = JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'x'.repeat(900) }] });

  describe('/v1 keeps a connection usable after answering before the body', () => {
    it('answers a bad key, an unknown path and a wrong method on one connection, then a good call', async () => {
      const connection = await RawConnection.open(server.url);
      try {
        const json = { 'content-type': 'application/json' };
        connection.send(
          rawRequest('POST', '/v1/chat/completions', { ...json, authorization: 'Bearer sbk_bogus' }, chat),
        );
        const badKey = await connection.response();
        expect(badKey.status).toBe(401);
        expect(badKey.headers.connection).toBe('keep-alive');
        connection.send(rawRequest('POST', '/v1/nowhere', json, chat));
        expect((await connection.response()).status).toBe(404);
        connection.send(rawRequest('PUT', '/v1/models', json, chat));
        expect((await connection.response()).status).toBe(405);
        connection.send(rawRequest('GET', '/v1/models', { authorization: `Bearer ${apiKey}` }));
        const good = await connection.response();
        expect(good.status).toBe(200);
        expect(JSON.parse(good.body)).toMatchObject({ object: 'list' });
        expect(connection.isClosed).toBe(false);
      } finally {
        connection.destroy();
      }
    });

    it('keeps a pooled client working through bad-key calls (undici Pool, one connection)', async () => {
      const pool = new Pool(server.url, { connections: 1, pipelining: 4 });
      try {
        // Bad-key calls and good ones together on one keep-alive socket, as a shared pool sends them.
        const calls = Array.from({ length: 12 }, (_, index) =>
          index % 2 === 0
            ? pool.request({
                method: 'POST',
                path: '/v1/chat/completions',
                headers: { 'content-type': 'application/json', authorization: 'Bearer sbk_bogus' },
                body: chat,
              })
            : pool.request({
                method: 'GET',
                path: '/v1/models',
                headers: { authorization: `Bearer ${apiKey}` },
              }),
        );
        const answers = await Promise.allSettled(calls);
        const statuses = await Promise.all(
          answers.map(async (answer) => {
            if (answer.status === 'rejected') return String(answer.reason);
            await answer.value.body.dump();
            return answer.value.statusCode;
          }),
        );
        expect(statuses).toEqual(Array.from({ length: 12 }, (_, index) => (index % 2 === 0 ? 401 : 200)));
      } finally {
        await pool.close();
      }
    });

    it('says Connection: close when it refuses a body too large to drain', async () => {
      const connection = await RawConnection.open(server.url);
      connection.send(
        'POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n' +
          `authorization: Bearer ${apiKey}\r\ncontent-length: 300000000\r\n\r\n`,
      );
      const answer = await connection.response();
      expect(answer.status).toBe(413);
      expect(answer.headers.connection).toBe('close');
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'request_too_large' } });
      await connection.closed;
    });
  });

  it('answers a model id that is not valid percent-encoding with 400, in OpenAI error JSON', async () => {
    const response = await fetch(`${server.url}/v1/models/%E0%A4%A`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { type: 'invalid_request_error', code: 'invalid_request' },
    });
  });

  describe('slow bodies', () => {
    const begin = (path: string, length: number, headers = '') =>
      `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n${headers}` +
      `content-length: ${length}\r\n\r\n`;

    it('/v1: a stalled body gets the 408 it was promised, then the connection closes', async () => {
      const connection = await RawConnection.open(server.url);
      connection.send(
        `${begin('/v1/chat/completions', 100, `authorization: Bearer ${apiKey}\r\n`)}{"model":`,
      );
      const answer = await connection.response();
      expect(answer.status).toBe(408);
      expect(answer.headers.connection).toBe('close');
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'request_timeout' } });
      await connection.closed;
    });

    it('/v1: a body trickling in under the idle limit is cut at the total limit with a 408', async () => {
      const connection = await RawConnection.open(server.url);
      connection.send(begin('/v1/chat/completions', 200, `authorization: Bearer ${apiKey}\r\n`));
      const answer = connection.response();
      await trickle(connection, ' '.repeat(200));
      expect((await answer).status).toBe(408);
      await connection.closed;
    });

    it('/trpc: a stalled body gets a 408, then the connection closes', async () => {
      const connection = await RawConnection.open(server.url);
      connection.send(`${begin('/trpc/auth.login', 100)}{"email":`);
      const answer = await connection.response();
      expect(answer.status).toBe(408);
      expect(answer.headers.connection).toBe('close');
      await connection.closed;
    });

    it('/trpc: a body trickling in under the idle limit is cut at the total limit with a 408', async () => {
      const connection = await RawConnection.open(server.url);
      connection.send(begin('/trpc/auth.login', 200));
      const answer = connection.response();
      await trickle(connection, ' '.repeat(200));
      expect((await answer).status).toBe(408);
      await connection.closed;
    });

    it('a client that goes away mid-body is logged below error level', async () => {
      const connection = await RawConnection.open(server.url);
      connection.send(
        `${begin('/v1/chat/completions', 100, `authorization: Bearer ${apiKey}\r\n`)}{"model":`,
      );
      await pause(50);
      connection.destroy();
      await expect.poll(() => logLines.some((line) => line.msg.includes('client went away'))).toBe(true);
      expect(logLines.filter((line) => line.level === 'error')).toEqual([]);
      expect(logLines.find((line) => line.msg.includes('client went away'))?.level).toBe('debug');
    });
  });

  describe('/trpc body size', () => {
    it('refuses a declared body over the limit before reading it (413, Connection: close)', async () => {
      const connection = await RawConnection.open(server.url);
      connection.send(
        'POST /trpc/auth.login HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n' +
          'content-length: 300000000\r\n\r\n',
      );
      const answer = await connection.response();
      expect(answer.status).toBe(413);
      expect(answer.headers.connection).toBe('close');
      await connection.closed;
    });

    it('counts a chunked body as it arrives and refuses it past the limit', async () => {
      const connection = await RawConnection.open(server.url);
      connection.send(
        'POST /trpc/auth.login HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n' +
          'transfer-encoding: chunked\r\n\r\n',
      );
      const answer = connection.response();
      const chunk = `1000\r\n${'x'.repeat(0x1000)}\r\n`;
      // Bounded: 64 chunks of 4 KiB, four times the limit.
      for (let sent = 0; sent < 64 && !connection.isClosed; sent++) {
        connection.send(chunk);
        await pause(5);
      }
      const refused = await answer;
      expect(refused.status).toBe(413);
      expect(refused.headers.connection).toBe('close');
      await connection.closed;
    });

    it('takes a body under the limit', async () => {
      const response = await fetch(`${server.url}/trpc/auth.login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'limits@example.test', password: 'long enough pass' }),
      });
      expect(response.status).toBe(200);
    });

    it('refuses an overlong password by its length, naming the field', async () => {
      const response = await fetch(`${server.url}/trpc/auth.login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'limits@example.test', password: 'p'.repeat(5_000) }),
      });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: { data: { fieldErrors: Record<string, string[]> } } };
      expect(body.error.data.fieldErrors.password).toEqual(['Password must be at most 1024 characters']);
    });
  });

  describe('/trpc batches', () => {
    const batch = (paths: string[], inputs: unknown[]) =>
      fetch(`${server.url}/trpc/${paths.join(',')}?batch=1`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(Object.fromEntries(inputs.map((input, index) => [index, input]))),
      });
    const guess = { email: 'limits@example.test', password: 'a wrong guess' };

    it('refuses a batch that holds a password check, before checking any', async () => {
      const response = await batch(['auth.login', 'auth.login', 'auth.login'], [guess, guess, guess]);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({
        error: { message: 'auth.login cannot be batched: send it on its own' },
      });
    });

    it('takes a login on its own through the batch link, and other batches up to the cap', async () => {
      expect((await batch(['auth.login'], [guess])).status).toBe(401);
      const queries = (count: number) =>
        fetch(`${server.url}/trpc/${Array.from({ length: count }, () => 'auth.status').join(',')}?batch=1`);
      expect((await queries(2)).status).toBe(200);
      expect((await queries(21)).status).toBe(400);
    });
  });

  it('closes a connection whose headers never finish', async () => {
    const connection = await RawConnection.open(server.url);
    connection.send('GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n');
    await connection.closed;
  });
});

describe('a cap on concurrent connections', () => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await startTestServer('sqlite', {
      httpLimits: { ...DEFAULT_HTTP_LIMITS, maxConnections: 5 },
    });
  });
  afterAll(() => server?.stop());

  it('drops connections over the cap and serves again once they go', async () => {
    const held = await Promise.all(Array.from({ length: 5 }, () => RawConnection.open(server.url)));
    // Each held connection proves it is served before the next is opened past the cap.
    held[0]?.send(rawRequest('GET', '/healthz', {}));
    expect((await held[0]?.response())?.status).toBe(200);
    const extra = await RawConnection.open(server.url);
    await extra.closed;
    for (const connection of held) connection.destroy();
    await expect
      .poll(async () => (await fetch(`${server.url}/healthz`).catch(() => undefined))?.status)
      .toBe(200);
  });
});
