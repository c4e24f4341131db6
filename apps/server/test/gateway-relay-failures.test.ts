import type { ServerResponse } from 'node:http';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { recorded, startUpstreamsFixture, type UpstreamsFixture } from './upstreams-fixture.ts';

// A provider's failure in the middle of a stream counts against its key the same way whether the
// gateway translates the stream or relays its bytes as they are (/v1/messages to Anthropic,
// /v1/responses to OpenAI): one failure never benches a key; three in a row rest it, softly, so
// a workspace's only key is still tried (docs/gateway.md, decision 0027).

const CLAUDE = 'anthropic/claude-haiku-4-5-20251001';
const GPT = 'openai/gpt-4.1-mini';

/** Sends the text up to `cut` first, then the rest a moment later: the failure comes after bytes reached the client. */
const failingMidway =
  (text: string, cut: string, contentType = 'text/event-stream') =>
  (_request: unknown, response: ServerResponse) => {
    response.writeHead(200, { 'content-type': contentType });
    const at = text.indexOf(cut);
    response.write(text.slice(0, at));
    setTimeout(() => response.end(text.slice(at)), 30);
  };

/** An OpenAI Responses API stream that fails after its first words, with `failure` as its last event. */
function failedResponseEvents(failure: Record<string, unknown>): string {
  const started = {
    id: 'resp_failing',
    object: 'response',
    created_at: 1_764_000_000,
    status: 'in_progress',
    error: null,
    model: 'gpt-4.1-mini-2025-04-14',
    output: [],
    usage: null,
  };
  const item = { type: 'message', id: 'msg_failing', status: 'in_progress', role: 'assistant', content: [] };
  const events: Record<string, unknown>[] = [
    { type: 'response.created', response: started, sequence_number: 0 },
    { type: 'response.output_item.added', output_index: 0, item, sequence_number: 1 },
    {
      type: 'response.content_part.added',
      item_id: 'msg_failing',
      output_index: 0,
      content_index: 0,
      part: { type: 'output_text', text: '', annotations: [] },
      sequence_number: 2,
    },
    {
      type: 'response.output_text.delta',
      item_id: 'msg_failing',
      output_index: 0,
      content_index: 0,
      delta: 'Once upon',
      sequence_number: 3,
    },
    { ...failure, sequence_number: 4 },
  ];
  return events.map((event) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`).join('');
}

const RESPONSE_FAILED = failedResponseEvents({
  type: 'response.failed',
  response: {
    id: 'resp_failing',
    object: 'response',
    status: 'failed',
    error: { code: 'server_error', message: 'The model failed to generate a response.' },
    output: [],
    usage: null,
  },
});
const RESPONSE_ERROR = failedResponseEvents({
  type: 'error',
  code: 'server_error',
  message: 'The server had an error while processing your request.',
  param: null,
});

describe('a provider failure in the middle of a stream, translated or relayed', () => {
  let fixture: UpstreamsFixture;
  let anthropic: Anthropic;

  beforeAll(async () => {
    fixture = await startUpstreamsFixture('sqlite');
    anthropic = new Anthropic({ baseURL: fixture.server.url, apiKey: fixture.apiKey, maxRetries: 0 });
  });
  afterAll(() => fixture?.close());
  beforeEach(async () => {
    const { runtime } = fixture.server.gateway;
    await runtime.cooldowns.settle();
    await fixture.server.core.db.deleteFrom('credential_cooldowns').execute();
    fixture.server.core.changes.publish({
      workspaceId: fixture.workspaceId,
      kind: 'cooldown',
      id: null,
      action: 'cooldown.start',
      at: new Date().toISOString(),
    });
    runtime.cooldowns.forget();
    fixture.upstream.requests.length = 0;
  });

  /** The stored rest of the provider's one key (what the console and other instances see), if any. */
  async function storedRest(provider: string): Promise<string | undefined> {
    await fixture.server.gateway.runtime.cooldowns.settle();
    const row = await fixture.server.core.db
      .selectFrom('credential_cooldowns')
      .innerJoin('provider_credentials', 'provider_credentials.id', 'credential_cooldowns.credential_id')
      .select(['credential_cooldowns.until'])
      .where('provider_credentials.provider', '=', provider)
      .executeTakeFirst();
    return row?.until;
  }

  /** The outcome of the last call in the usage record. */
  async function lastOutcome() {
    await fixture.server.gateway.runtime.usage.flush();
    return fixture.server.core.db
      .selectFrom('usage_events')
      .select(['outcome', 'status'])
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  /** How many calls reached `path` upstream. */
  const reached = (path: string) =>
    fixture.upstream.requests.filter((request) => request.path === path).length;

  /** Reads a stream to its end; the error it ends with, or undefined. */
  async function failureOf(stream: AsyncIterable<unknown>): Promise<unknown> {
    try {
      for await (const _event of stream) {
        // Read everything the gateway sends.
      }
      return undefined;
    } catch (error) {
      return error;
    }
  }

  /** The body of a raw streaming call, read to its end (a hand-written client). */
  async function rawStream(path: string, body: Record<string, unknown>): Promise<string> {
    const answer = await fetch(`${fixture.server.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fixture.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(answer.status).toBe(200);
    return answer.text();
  }

  const cases = [
    {
      name: 'a translated chat stream from Anthropic (overloaded_error event)',
      provider: 'anthropic',
      path: '/anthropic/v1/messages',
      upstream: () => failingMidway(recorded('anthropic', 'stream-overloaded.sse'), 'event: error'),
      call: async () => {
        const stream = await fixture.openai.chat.completions.create({
          model: CLAUDE,
          messages: [{ role: 'user', content: 'Tell me a story' }],
          stream: true,
        });
        expect(String(await failureOf(stream))).toMatch(/Overloaded/);
      },
    },
    {
      name: 'a relayed /v1/messages stream from Anthropic (overloaded_error event)',
      provider: 'anthropic',
      path: '/anthropic/v1/messages',
      upstream: () => failingMidway(recorded('anthropic', 'stream-overloaded.sse'), 'event: error'),
      call: async () => {
        const stream = await anthropic.messages.create({
          model: CLAUDE,
          max_tokens: 100,
          messages: [{ role: 'user', content: 'Tell me a story' }],
          stream: true,
        });
        // The client gets Anthropic's own event, byte for byte, and its SDK raises it.
        expect(String(await failureOf(stream))).toMatch(/Overloaded/);
      },
    },
    {
      name: 'a relayed /v1/responses stream from OpenAI (response.failed event)',
      provider: 'openai',
      path: '/openai/v1/responses',
      upstream: () => failingMidway(RESPONSE_FAILED, 'event: response.failed'),
      call: async () => {
        const text = await rawStream('/v1/responses', { model: GPT, input: 'Tell me a story', stream: true });
        expect(text).toBe(RESPONSE_FAILED);
      },
    },
    {
      name: 'a relayed /v1/responses stream from OpenAI (error event)',
      provider: 'openai',
      path: '/openai/v1/responses',
      upstream: () => failingMidway(RESPONSE_ERROR, 'event: error'),
      call: async () => {
        const text = await rawStream('/v1/responses', { model: GPT, input: 'Tell me a story', stream: true });
        expect(text).toBe(RESPONSE_ERROR);
      },
    },
  ];

  it.each(cases)(
    '$name: one does not rest the key, three in a row do, and the only key is still tried',
    async (each) => {
      fixture.upstream.route('POST', each.path, each.upstream());
      await each.call();
      expect(await storedRest(each.provider)).toBeUndefined();
      // Recorded as a failed call, the provider's fault.
      expect(await lastOutcome()).toMatchObject({ outcome: 'upstream_unavailable', status: 502 });
      await each.call();
      expect(await storedRest(each.provider)).toBeUndefined();
      await each.call();
      const rest = await storedRest(each.provider);
      expect(rest).toBeDefined();
      expect(Date.parse(rest as string)).toBeGreaterThan(Date.now());
      // A rest the gateway chose itself: the workspace's only key is still tried.
      await each.call();
      expect(reached(each.path)).toBe(4);
    },
  );

  it('a relayed failure that blames the request (invalid_prompt) counts against no key', async () => {
    const invalid = failedResponseEvents({
      type: 'response.failed',
      response: {
        id: 'resp_failing',
        object: 'response',
        status: 'failed',
        error: {
          code: 'invalid_prompt',
          message: 'Invalid prompt: flagged as potentially violating our usage policy.',
        },
        output: [],
        usage: null,
      },
    });
    fixture.upstream.route('POST', '/openai/v1/responses', failingMidway(invalid, 'event: response.failed'));
    for (let i = 0; i < 4; i++)
      expect(await rawStream('/v1/responses', { model: GPT, input: 'Tell me a story', stream: true })).toBe(
        invalid,
      );
    expect(await storedRest('openai')).toBeUndefined();
    expect(await lastOutcome()).toMatchObject({ status: 400 });
  });

  it('a success between failures ends the streak: the key never rests', async () => {
    const failing = failingMidway(recorded('anthropic', 'stream-overloaded.sse'), 'event: error');
    const complete = (_request: unknown, response: ServerResponse) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end(
        recorded('anthropic', 'stream-overloaded.sse').split('event: error')[0] +
          'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n' +
          'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":3}}\n\n' +
          'event: message_stop\ndata: {"type":"message_stop"}\n\n',
      );
    };
    const call = async () =>
      failureOf(
        await anthropic.messages.create({
          model: CLAUDE,
          max_tokens: 100,
          messages: [{ role: 'user', content: 'Tell me a story' }],
          stream: true,
        }),
      );
    for (const behaviour of [failing, failing, complete, failing, failing, complete]) {
      fixture.upstream.route('POST', '/anthropic/v1/messages', behaviour);
      const failure = await call();
      expect(failure === undefined).toBe(behaviour === complete);
    }
    expect(await storedRest('anthropic')).toBeUndefined();
  });
});
