import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { addCustomModel, createApiKey, installProvider, setupFirstOwner } from '@switchboard/core';
import { type FakeUpstream, startFakeUpstream } from '@switchboard/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvError, readEnv } from '../src/env.ts';
import { DEFAULT_LIMITS } from '../src/gateway/gateway.ts';
import { DEFAULT_HTTP_LIMITS } from '../src/http/limits.ts';
import type { RunningServer } from '../src/server.ts';
import { startTestServer } from './helpers.ts';

describe('gateway limits from the environment', () => {
  it('defaults to 2 MB JSON, 20 MB audio, 30 s of pause and 120 s in all to send a body, 60 s to read an answer', () => {
    expect(readEnv({}).gatewayLimits).toEqual({
      maxJsonBytes: 2 * 1024 * 1024,
      maxAudioBytes: 20 * 1024 * 1024,
      bodyIdleMs: 30_000,
      bodyTimeoutMs: 120_000,
      writeIdleMs: 60_000,
    });
    expect(
      readEnv({ SWITCHBOARD_MAX_JSON_BYTES: '65536', SWITCHBOARD_WRITE_IDLE_MS: '5000' }).gatewayLimits,
    ).toMatchObject({ maxJsonBytes: 65_536, writeIdleMs: 5_000 });
  });

  it('reads the server limits: /trpc bodies, slow requests, connections', () => {
    expect(readEnv({}).httpLimits).toEqual(DEFAULT_HTTP_LIMITS);
    expect(
      readEnv({
        SWITCHBOARD_MAX_TRPC_BYTES: '65536',
        SWITCHBOARD_BODY_IDLE_MS: '1000',
        SWITCHBOARD_BODY_TIMEOUT_MS: '5000',
        SWITCHBOARD_HEADERS_TIMEOUT_MS: '2000',
        SWITCHBOARD_MAX_CONNECTIONS: '50',
      }).httpLimits,
    ).toEqual({
      maxTrpcBytes: 65_536,
      bodyIdleMs: 1_000,
      bodyTimeoutMs: 5_000,
      headersTimeoutMs: 2_000,
      maxConnections: 50,
    });
    expect(() => readEnv({ SWITCHBOARD_MAX_CONNECTIONS: '0' })).toThrow(
      'SWITCHBOARD_MAX_CONNECTIONS: must be at least 1',
    );
  });

  it('refuses bad values, naming every variable at fault', () => {
    let error: unknown;
    try {
      readEnv({
        SWITCHBOARD_MAX_JSON_BYTES: 'lots',
        SWITCHBOARD_MAX_AUDIO_BYTES: '10',
        SWITCHBOARD_WRITE_IDLE_MS: '1.5',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(EnvError);
    const message = (error as Error).message;
    expect(message).toContain('SWITCHBOARD_MAX_JSON_BYTES: must be a number of bytes');
    expect(message).toContain('SWITCHBOARD_MAX_AUDIO_BYTES: must be at least 1024 bytes');
    expect(message).toContain('SWITCHBOARD_WRITE_IDLE_MS: must be a whole number of milliseconds');
  });
});

describe('the gateway with small limits', () => {
  const MODEL = 'openai-compatible/endless-talker';
  let server: RunningServer;
  let upstream: FakeUpstream;
  let apiKey: string;
  /** Settles when the upstream's streaming answer closes: true if it was finished, false if cut. */
  let upstreamClosed: Promise<boolean> | undefined;
  let upstreamBytes = 0;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    upstream.route('GET', '/v1/models', {
      json: { object: 'list', data: [{ id: 'endless-talker', object: 'model', created: 0, owned_by: 'x' }] },
    });
    // An answer that never ends on its own: events as fast as the gateway takes them.
    upstream.route('POST', '/v1/chat/completions', async (_request, response: ServerResponse) => {
      upstreamClosed = new Promise((resolve) =>
        response.on('close', () => resolve(response.writableFinished)),
      );
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      const event = Buffer.from(
        `data: ${JSON.stringify({
          id: 'chatcmpl-endless',
          object: 'chat.completion.chunk',
          created: 0,
          model: 'endless-talker',
          choices: [{ index: 0, delta: { content: 'x'.repeat(16_000) }, finish_reason: null }],
        })}\n\n`,
      );
      // Bounded: 400 MB at most, far more than every socket buffer between here and the client.
      while (!response.destroyed && upstreamBytes < 400 * 1024 * 1024) {
        upstreamBytes += event.length;
        if (!response.write(event)) await once(response, 'drain').catch(() => undefined);
      }
      response.end();
    });
    server = await startTestServer('sqlite', {
      gatewayLimits: { ...DEFAULT_LIMITS, maxJsonBytes: 4096, writeIdleMs: 300 },
    });
    const setup = await setupFirstOwner(server.core, {
      email: 'limits@example.test',
      password: 'long enough pass',
      workspaceName: 'Limits',
    });
    const actor = { kind: 'user' as const, userId: setup.user.id };
    const workspaceId = setup.workspace.id;
    await installProvider(server.core, actor, { workspaceId, provider: 'openai-compatible' });
    await addCustomModel(server.core, actor, {
      workspaceId,
      provider: 'openai-compatible',
      model: { name: 'endless-talker', type: 'llm' },
      credential: {
        name: 'local',
        values: { base_url: `${upstream.url}/v1`, api_key: 'sk-test-limits-0001' },
      },
    });
    apiKey = (await createApiKey(server.core, actor, { workspaceId: workspaceId, name: 'limits' })).key;
  });

  afterAll(async () => {
    await server?.stop();
    await upstream?.close();
  });

  const post = (body: string) =>
    fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body,
    });

  it('refuses a JSON body over the configured limit with 413, and takes one under it', async () => {
    const message = (size: number) =>
      JSON.stringify({
        model: 'openai-compatible/none',
        messages: [{ role: 'user', content: 'x'.repeat(size) }],
      });
    const tooBig = await post(message(8_000));
    expect(tooBig.status).toBe(413);
    expect(await tooBig.json()).toMatchObject({
      error: { code: 'request_too_large', message: 'The request body is larger than 4096 bytes' },
    });
    // Under the limit the body is read, and the (unknown) model is what gets refused.
    const small = await post(message(1_000));
    expect(small.status).toBe(404);
  });

  it('drops a client that stops reading a stream, and cancels the upstream call', async () => {
    const body = JSON.stringify({
      model: MODEL,
      messages: [{ role: 'user', content: 'Talk' }],
      stream: true,
    });
    const { port } = new URL(server.url);
    const client = connect(Number(port), '127.0.0.1');
    await once(client, 'connect');
    const clientClosed = once(client, 'close');
    client.write(
      `POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n` +
        `authorization: Bearer ${apiKey}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    // Never read: the socket buffers fill, the gateway waits for them to drain, then gives up.
    client.pause();
    await expect.poll(() => upstreamClosed, { timeout: 10_000 }).toBeDefined();
    expect(await upstreamClosed).toBe(false);
    expect(upstreamBytes).toBeLessThan(400 * 1024 * 1024);
    client.resume();
    await clientClosed;
  }, 20_000);
});
