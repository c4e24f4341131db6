import type { ServerResponse } from 'node:http';
import Anthropic from '@anthropic-ai/sdk';
import { ENGINES, type RecordedRequest } from '@switchboard/test-utils';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { completion, type GatewayFixture, KEY_A, startGatewayFixture } from './gateway-fixture.ts';

const MODEL = 'openai-compatible/local-model';

type ChatBody = { messages: Record<string, unknown>[]; [field: string]: unknown };
const chatRequests = (fixture: GatewayFixture): ChatBody[] =>
  fixture.upstream.requests
    .filter((request) => request.path === '/v1/chat/completions')
    .map((request) => request.json() as ChatBody);

/** An upstream that says "Let me check." and calls `get_weather` with `{"city":"Paris"}`. */
function answerWithToolCall(request: RecordedRequest, response: ServerResponse): void {
  const body = request.json() as { model: string; stream?: boolean };
  const toolCall = {
    id: 'call_weather_1',
    type: 'function',
    function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
  };
  if (!body.stream) {
    const answer = completion(body.model, 'Let me check.');
    const choice = answer.choices[0] as unknown as Record<string, unknown>;
    choice.message = { role: 'assistant', content: 'Let me check.', tool_calls: [toolCall] };
    choice.finish_reason = 'tool_calls';
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(answer));
    return;
  }
  const base = {
    id: 'chatcmpl-tools',
    object: 'chat.completion.chunk',
    created: 1_764_000_000,
    model: body.model,
  };
  const delta = (value: Record<string, unknown>, finish: string | null = null) => ({
    ...base,
    choices: [{ index: 0, delta: value, finish_reason: finish }],
  });
  const chunks = [
    delta({ role: 'assistant', content: 'Let me ' }),
    delta({ content: 'check.' }),
    delta({
      tool_calls: [
        {
          index: 0,
          id: 'call_weather_1',
          type: 'function',
          function: { name: 'get_weather', arguments: '' },
        },
      ],
    }),
    delta({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
    delta({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
    delta({}, 'tool_calls'),
    { ...base, choices: [], usage: { prompt_tokens: 20, completion_tokens: 8, total_tokens: 28 } },
  ];
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const chunk of chunks) response.write(`data: ${JSON.stringify(chunk)}\n\n`);
  response.end('data: [DONE]\n\n');
}

const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'The weather in a city',
  input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] },
};

describe.each(ENGINES)('POST /v1/messages on %s, through the Anthropic SDK', (engine) => {
  let fixture: GatewayFixture;
  let anthropic: Anthropic;

  beforeAll(async () => {
    fixture = await startGatewayFixture(engine);
    // ANTHROPIC_BASE_URL is the server's root: the SDK adds /v1/messages itself.
    anthropic = new Anthropic({ baseURL: fixture.server.url, apiKey: fixture.apiKey, maxRetries: 0 });
  });
  afterAll(() => fixture?.close());
  beforeEach(() => {
    fixture.chatBehaviour.clear();
    fixture.upstream.requests.length = 0;
  });

  it('answers with the workspace key as x-api-key, system prompt and stop sequences translated', async () => {
    const message = await anthropic.messages.create({
      model: MODEL,
      max_tokens: 64,
      system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }],
      stop_sequences: ['END'],
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(message.type).toBe('message');
    expect(message.role).toBe('assistant');
    expect(message.content).toEqual([{ type: 'text', text: `answered with ${KEY_A}` }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage).toMatchObject({ input_tokens: 12, output_tokens: 5 });
    expect(chatRequests(fixture)[0]).toMatchObject({
      model: 'local-model',
      max_tokens: 64,
      stop: ['END'],
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
    });
  });

  it('accepts the key as a bearer token too (authToken)', async () => {
    const bearer = new Anthropic({
      baseURL: fixture.server.url,
      apiKey: null,
      authToken: fixture.apiKey,
      maxRetries: 0,
    });
    const message = await bearer.messages.create({
      model: MODEL,
      max_tokens: 16,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(message.content[0]).toMatchObject({ type: 'text' });
  });

  it('runs a tool round trip: tool_use out, tool_result back', async () => {
    fixture.chatBehaviour.set(KEY_A, answerWithToolCall);
    const first = await anthropic.messages.create({
      model: MODEL,
      max_tokens: 256,
      tools: [WEATHER_TOOL],
      tool_choice: { type: 'tool', name: 'get_weather', disable_parallel_tool_use: true },
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
    });
    expect(first.stop_reason).toBe('tool_use');
    expect(first.content).toEqual([
      { type: 'text', text: 'Let me check.' },
      { type: 'tool_use', id: 'call_weather_1', name: 'get_weather', input: { city: 'Paris' } },
    ]);
    expect(chatRequests(fixture)[0]).toMatchObject({
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: WEATHER_TOOL.input_schema } }],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: false,
    });

    fixture.chatBehaviour.clear();
    await anthropic.messages.create({
      model: MODEL,
      max_tokens: 256,
      tools: [WEATHER_TOOL],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 'call_weather_1', content: '18°C, cloudy' }],
        },
      ],
    });
    expect(chatRequests(fixture)[1]?.messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: 'Let me check.',
        tool_calls: [
          {
            id: 'call_weather_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_weather_1', content: '18°C, cloudy' },
    ]);
  });

  it('streams Anthropic events that the SDK assembles, tools included', async () => {
    fixture.chatBehaviour.set(KEY_A, answerWithToolCall);
    const stream = anthropic.messages.stream({
      model: MODEL,
      max_tokens: 256,
      tools: [WEATHER_TOOL],
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
    });
    let text = '';
    stream.on('text', (delta) => {
      text += delta;
    });
    const final = await stream.finalMessage();
    expect(text).toBe('Let me check.');
    expect(final.content).toEqual([
      { type: 'text', text: 'Let me check.' },
      { type: 'tool_use', id: 'call_weather_1', name: 'get_weather', input: { city: 'Paris' } },
    ]);
    expect(final.stop_reason).toBe('tool_use');
    expect(final.usage).toMatchObject({ input_tokens: 20, output_tokens: 8 });
  });

  it('counts tokens for a known model, and 404s an unknown one', async () => {
    const counted = await anthropic.messages.countTokens({
      model: MODEL,
      messages: [{ role: 'user', content: 'How many tokens is this?' }],
    });
    expect(counted.input_tokens).toBeGreaterThan(0);
    await expect(
      anthropic.messages.countTokens({ model: 'nope/none', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toBeInstanceOf(Anthropic.NotFoundError);
  });

  it("answers every error in Anthropic's JSON, so the SDK raises its own classes", async () => {
    const stranger = new Anthropic({
      baseURL: fixture.server.url,
      apiKey: 'sbk_not-a-real-key',
      maxRetries: 0,
    });
    await expect(
      stranger.messages.create({ model: MODEL, max_tokens: 8, messages: [{ role: 'user', content: 'Hi' }] }),
    ).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
    await expect(
      anthropic.messages.create({
        model: 'nope/none',
        max_tokens: 8,
        messages: [{ role: 'user', content: 'Hi' }],
      }),
    ).rejects.toBeInstanceOf(Anthropic.NotFoundError);
    const missingMax = await fetch(`${fixture.server.url}/v1/messages`, {
      method: 'POST',
      headers: {
        'x-api-key': fixture.apiKey,
        'content-type': 'application/json',
        'anthropic-version': '2023-06-01',
      },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    expect(missingMax.status).toBe(400);
    expect(await missingMax.json()).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringContaining('max_tokens') },
    });
    expect(chatRequests(fixture)).toHaveLength(0);
  });

  it('ends a stream the provider breaks with an error event', async () => {
    fixture.chatBehaviour.set(KEY_A, (request, response) => {
      const body = request.json() as { model: string };
      const base = { id: 'c', object: 'chat.completion.chunk', created: 1, model: body.model };
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(
        `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: 'Par' }, finish_reason: null }] })}\n\n`,
      );
      response.end(`data: ${JSON.stringify({ error: { message: 'overloaded', type: 'server_error' } })}\n\n`);
    });
    const stream = anthropic.messages.stream({
      model: MODEL,
      max_tokens: 8,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    await expect(stream.finalMessage()).rejects.toThrow();
  });
});
