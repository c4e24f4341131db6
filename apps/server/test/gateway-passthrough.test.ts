import Anthropic from '@anthropic-ai/sdk';
import { usageSummary } from '@switchboard/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ANTHROPIC_KEY,
  OPENAI_KEY,
  recorded,
  startUpstreamsFixture,
  type UpstreamsFixture,
} from './upstreams-fixture.ts';

// Passthrough: /v1/messages to Anthropic and /v1/responses to OpenAI go as they are (cache_control
// and anthropic-beta kept), with the provider's key; the answers' bytes come back unchanged, and
// the gateway still records usage and keeps responses for previous_response_id and item_reference.

const CLAUDE = 'anthropic/claude-haiku-4-5-20251001';

/** A Responses API answer as OpenAI gives it. */
function responseBody(id: string, messageId: string, text: string) {
  return {
    id,
    object: 'response',
    created_at: 1_764_000_000,
    status: 'completed',
    error: null,
    incomplete_details: null,
    instructions: null,
    model: 'gpt-4.1-mini-2025-04-14',
    output: [
      {
        type: 'message',
        id: messageId,
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text, annotations: [] }],
      },
    ],
    parallel_tool_calls: true,
    tool_choice: 'auto',
    tools: [],
    store: true,
    usage: {
      input_tokens: 21,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 7,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 28,
    },
  };
}

/** The same answer as OpenAI streams it: typed events, each `event:` and `data:`. */
function responseEvents(id: string, messageId: string, words: string[]): string {
  const done = responseBody(id, messageId, words.join(''));
  const started = { ...done, status: 'in_progress', output: [], usage: null };
  const item = { type: 'message', id: messageId, status: 'in_progress', role: 'assistant', content: [] };
  const events: Record<string, unknown>[] = [
    { type: 'response.created', response: started },
    { type: 'response.in_progress', response: started },
    { type: 'response.output_item.added', output_index: 0, item },
    {
      type: 'response.content_part.added',
      item_id: messageId,
      output_index: 0,
      content_index: 0,
      part: { type: 'output_text', text: '', annotations: [] },
    },
    ...words.map((delta) => ({
      type: 'response.output_text.delta',
      item_id: messageId,
      output_index: 0,
      content_index: 0,
      delta,
    })),
    {
      type: 'response.output_text.done',
      item_id: messageId,
      output_index: 0,
      content_index: 0,
      text: words.join(''),
    },
    { type: 'response.output_item.done', output_index: 0, item: done.output[0] },
    { type: 'response.completed', response: done },
  ];
  return events
    .map(
      (event, index) =>
        `event: ${event.type}\ndata: ${JSON.stringify({ ...event, sequence_number: index })}\n\n`,
    )
    .join('');
}

describe('passthrough to providers that speak the API', () => {
  let fixture: UpstreamsFixture;
  let anthropic: Anthropic;

  beforeAll(async () => {
    fixture = await startUpstreamsFixture('sqlite');
    anthropic = new Anthropic({ baseURL: fixture.server.url, apiKey: fixture.apiKey, maxRetries: 0 });
  });
  afterAll(() => fixture?.close());
  beforeEach(() => {
    fixture.upstream.requests.length = 0;
  });

  const reached = (path: string) => fixture.upstream.requests.filter((request) => request.path === path);
  const usageOf = async (model: string) => {
    await fixture.server.gateway.runtime.usage.flush();
    const summary = await usageSummary(fixture.server.core, fixture.actor, {
      workspaceId: fixture.workspaceId,
    });
    return summary.byModel.find((row) => row.model === model);
  };

  it('relays /v1/messages to Anthropic with cache_control and anthropic-beta, bytes and usage kept', async () => {
    const answer = recorded('anthropic', 'messages-text.json');
    fixture.upstream.route('POST', '/anthropic/v1/messages', {
      body: answer,
      headers: { 'content-type': 'application/json' },
    });
    // top_k is Anthropic's own (a translation refuses it): relayed, it reaches Anthropic.
    const params = {
      model: CLAUDE,
      max_tokens: 64,
      system: [{ type: 'text', text: 'A long shared prompt.', cache_control: { type: 'ephemeral' } }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Météo ?', cache_control: { type: 'ephemeral' } }] },
      ],
      top_k: 5,
    } as Anthropic.MessageCreateParamsNonStreaming;
    const message = await anthropic.messages.create(params, {
      headers: { 'anthropic-beta': 'context-1m-2025-08-07', 'anthropic-version': '2023-06-01' },
    });
    expect(message).toEqual(JSON.parse(answer));
    const [sent] = reached('/anthropic/v1/messages');
    expect(sent?.headers['x-api-key']).toBe(ANTHROPIC_KEY);
    expect(sent?.headers['anthropic-beta']).toBe('context-1m-2025-08-07');
    expect(sent?.headers['anthropic-version']).toBe('2023-06-01');
    expect(sent?.json()).toEqual({
      model: 'claude-haiku-4-5-20251001',
      max_tokens: 64,
      system: [{ type: 'text', text: 'A long shared prompt.', cache_control: { type: 'ephemeral' } }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Météo ?', cache_control: { type: 'ephemeral' } }] },
      ],
      top_k: 5,
    });
    // Input counts cache reads and writes: 12 + 100 + 2048.
    expect(await usageOf('claude-haiku-4-5-20251001')).toMatchObject({ tokensIn: 2160, tokensOut: 14 });
  });

  it('relays a streamed /v1/messages with tools: the SDK assembles the tool call', async () => {
    fixture.upstream.route('POST', '/anthropic/v1/messages', {
      chunks: recorded('anthropic', 'stream-tool-use.sse').split(/(?<=\n\n)/),
      headers: { 'content-type': 'text/event-stream; charset=utf-8' },
    });
    const before = (await usageOf('claude-haiku-4-5-20251001'))?.tokensIn ?? 0;
    const stream = anthropic.messages.stream({
      model: CLAUDE,
      max_tokens: 256,
      tools: [
        { name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } },
      ],
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
    });
    const final = await stream.finalMessage();
    expect(final.content.at(-1)).toMatchObject({
      type: 'tool_use',
      name: 'get_weather',
      input: { city: 'Paris' },
    });
    expect(final.stop_reason).toBe('tool_use');
    expect(reached('/anthropic/v1/messages')[0]?.json()).toMatchObject({ stream: true });
    expect((await usageOf('claude-haiku-4-5-20251001'))?.tokensIn).toBe(before + 849);
  });

  it('relays /v1/responses to OpenAI and keeps the response for previous_response_id and GET', async () => {
    fixture.upstream.route('POST', '/openai/v1/responses', {
      json: responseBody('resp_first', 'msg_first', 'Hello from OpenAI'),
    });
    const first = await fixture.openai.responses.create({ model: 'openai/gpt-4.1-mini', input: 'Say hello' });
    expect(first.id).toBe('resp_first');
    expect(first.output_text).toBe('Hello from OpenAI');
    const [sent] = reached('/openai/v1/responses');
    expect(sent?.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect(sent?.json()).toMatchObject({ model: 'gpt-4.1-mini' });

    fixture.upstream.route('POST', '/openai/v1/responses', {
      json: responseBody('resp_second', 'msg_second', 'Bonjour'),
    });
    const second = await fixture.openai.responses.create({
      model: 'openai/gpt-4.1-mini',
      previous_response_id: first.id,
      input: 'Now in French',
    });
    expect(second.output_text).toBe('Bonjour');
    const continued = reached('/openai/v1/responses')[1]?.json() as Record<string, unknown>;
    // The earlier turn lives in this gateway's archive: it is sent as input items, not as an id.
    expect(continued.previous_response_id).toBeUndefined();
    expect(JSON.stringify(continued.input)).toContain('Hello from OpenAI');
    expect(JSON.stringify(continued.input)).toContain('Now in French');

    const stored = await fixture.openai.responses.retrieve('resp_second');
    expect(stored.output_text).toBe('Bonjour');
    expect(await usageOf('gpt-4.1-mini')).toMatchObject({ tokensIn: 42, tokensOut: 14 });
  });

  it('relays a streamed /v1/responses; an item_reference to its message reaches OpenAI as the item', async () => {
    fixture.upstream.route('POST', '/openai/v1/responses', {
      chunks: responseEvents('resp_streamed', 'msg_streamed', ['Hel', 'lo ', 'there']).split(/(?<=\n\n)/),
      headers: { 'content-type': 'text/event-stream; charset=utf-8' },
    });
    const stream = fixture.openai.responses.stream({ model: 'openai/gpt-4.1-mini', input: 'Greet me' });
    const deltas: string[] = [];
    stream.on('response.output_text.delta', (event) => deltas.push(event.delta));
    const final = await stream.finalResponse();
    expect(deltas).toEqual(['Hel', 'lo ', 'there']);
    expect(final.output_text).toBe('Hello there');

    fixture.upstream.route('POST', '/openai/v1/responses', {
      json: responseBody('resp_after', 'msg_after', 'Again'),
    });
    await fixture.openai.responses.create({
      model: 'openai/gpt-4.1-mini',
      input: [
        { role: 'user', content: 'Greet me' },
        { type: 'item_reference', id: 'msg_streamed' },
        { role: 'user', content: 'Again' },
      ],
    });
    const sent = reached('/openai/v1/responses')[1]?.json() as { input: Record<string, unknown>[] };
    expect(sent.input[1]).toMatchObject({ type: 'message', id: 'msg_streamed', role: 'assistant' });
  });
});
