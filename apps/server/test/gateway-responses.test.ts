import type { ServerResponse } from 'node:http';
import { setResponseRetention } from '@switchboard/core';
import { ENGINES, type RecordedRequest } from '@switchboard/test-utils';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { completion, type GatewayFixture, KEY_A, startGatewayFixture } from './gateway-fixture.ts';

const MODEL = 'openai-compatible/local-model';

type ChatBody = { messages: Record<string, unknown>[]; [field: string]: unknown };
const chatRequests = (fixture: GatewayFixture): ChatBody[] =>
  fixture.upstream.requests
    .filter((request) => request.path === '/v1/chat/completions')
    .map((request) => request.json() as ChatBody);

/** An upstream answer that calls `get_weather` with `{"city":"Paris"}`. */
function answerWithToolCall(request: RecordedRequest, response: ServerResponse): void {
  const body = request.json() as { model: string; stream?: boolean };
  if (!body.stream) {
    const answer = completion(body.model, '');
    const choice = answer.choices[0] as unknown as Record<string, unknown>;
    choice.message = {
      role: 'assistant',
      content: null,
      tool_calls: [
        {
          id: 'call_weather_1',
          type: 'function',
          function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
        },
      ],
    };
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
  const call = (delta: Record<string, unknown>) => ({
    ...base,
    choices: [{ index: 0, delta, finish_reason: null }],
  });
  const chunks = [
    call({ role: 'assistant', content: null }),
    call({
      tool_calls: [
        {
          index: 0,
          id: 'call_weather_1',
          type: 'function',
          function: { name: 'get_weather', arguments: '' },
        },
      ],
    }),
    call({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
    call({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] },
    { ...base, choices: [], usage: { prompt_tokens: 20, completion_tokens: 8, total_tokens: 28 } },
  ];
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const chunk of chunks) response.write(`data: ${JSON.stringify(chunk)}\n\n`);
  response.end('data: [DONE]\n\n');
}

const WEATHER_TOOL = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  strict: true,
};

describe.each(ENGINES)('POST /v1/responses on %s, through the openai SDK', (engine) => {
  let fixture: GatewayFixture;

  beforeAll(async () => {
    fixture = await startGatewayFixture(engine);
  });
  afterAll(() => fixture?.close());
  beforeEach(() => {
    fixture.chatBehaviour.clear();
    fixture.upstream.requests.length = 0;
  });

  it('answers text input with instructions, translated to a chat completion and back', async () => {
    const response = await fixture.openai.responses.create({
      model: MODEL,
      instructions: 'Be brief.',
      input: 'Hi',
      max_output_tokens: 50,
      temperature: 0.2,
    });
    expect(response.object).toBe('response');
    expect(response.id).toMatch(/^resp_/);
    expect(response.status).toBe('completed');
    expect(response.output_text).toBe(`answered with ${KEY_A}`);
    expect(response.output[0]).toMatchObject({ type: 'message', role: 'assistant', status: 'completed' });
    expect(response.usage).toMatchObject({ input_tokens: 12, output_tokens: 5, total_tokens: 17 });
    expect(chatRequests(fixture)[0]).toMatchObject({
      model: 'local-model',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
      max_completion_tokens: 50,
      temperature: 0.2,
    });
  });

  it('streams typed events that the SDK assembles into the final response', async () => {
    const stream = fixture.openai.responses.stream({ model: MODEL, input: 'Hi' });
    const types: string[] = [];
    let text = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
    }
    const final = await stream.finalResponse();
    expect(text).toBe('Hello wörld');
    expect(final.output_text).toBe('Hello wörld');
    expect(final.usage).toMatchObject({ input_tokens: 9, output_tokens: 3, total_tokens: 12 });
    expect(types[0]).toBe('response.created');
    expect(types).toContain('response.output_item.added');
    expect(types).toContain('response.content_part.added');
    expect(types).toContain('response.output_item.done');
    expect(types.at(-1)).toBe('response.completed');
  });

  it('calls function tools and takes their output back on the next turn', async () => {
    fixture.chatBehaviour.set(KEY_A, answerWithToolCall);
    const first = await fixture.openai.responses.create({
      model: MODEL,
      input: 'Weather in Paris?',
      tools: [WEATHER_TOOL],
      tool_choice: { type: 'function', name: 'get_weather' },
      parallel_tool_calls: false,
    });
    const call = first.output.find((item) => item.type === 'function_call');
    expect(call).toMatchObject({
      call_id: 'call_weather_1',
      name: 'get_weather',
      arguments: '{"city":"Paris"}',
    });
    expect(chatRequests(fixture)[0]).toMatchObject({
      tools: [
        {
          type: 'function',
          function: { name: 'get_weather', parameters: WEATHER_TOOL.parameters, strict: true },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: false,
    });

    fixture.chatBehaviour.clear();
    await fixture.openai.responses.create({
      model: MODEL,
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: 'call_weather_1', output: '{"sky":"clear"}' }],
      tools: [WEATHER_TOOL],
    });
    expect(chatRequests(fixture)[1]?.messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_weather_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_weather_1', content: '{"sky":"clear"}' },
    ]);
  });

  it('streams function call arguments as deltas', async () => {
    fixture.chatBehaviour.set(KEY_A, answerWithToolCall);
    const stream = fixture.openai.responses.stream({
      model: MODEL,
      input: 'Weather?',
      tools: [WEATHER_TOOL],
    });
    const deltas: string[] = [];
    for await (const event of stream) {
      if (event.type === 'response.function_call_arguments.delta') deltas.push(event.delta);
    }
    const final = await stream.finalResponse();
    expect(deltas.join('')).toBe('{"city":"Paris"}');
    expect(final.output).toEqual([
      expect.objectContaining({
        type: 'function_call',
        call_id: 'call_weather_1',
        name: 'get_weather',
        arguments: '{"city":"Paris"}',
        status: 'completed',
      }),
    ]);
    expect(final.usage?.total_tokens).toBe(28);
  });

  it('asks for structured output with text.format', async () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] };
    await fixture.openai.responses.create({
      model: MODEL,
      input: 'Answer in JSON',
      text: { format: { type: 'json_schema', name: 'reply', schema, strict: true } },
    });
    expect(chatRequests(fixture)[0]?.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'reply', schema, strict: true },
    });
  });

  it('continues a conversation by previous_response_id and by item_reference', async () => {
    const first = await fixture.openai.responses.create({ model: MODEL, input: 'My name is Ada.' });
    await fixture.openai.responses.create({
      model: MODEL,
      previous_response_id: first.id,
      input: 'Who am I?',
    });
    const answer = { role: 'assistant', content: `answered with ${KEY_A}` };
    expect(chatRequests(fixture)[1]?.messages).toEqual([
      { role: 'user', content: 'My name is Ada.' },
      answer,
      { role: 'user', content: 'Who am I?' },
    ]);

    const messageId = first.output[0]?.id as string;
    await fixture.openai.responses.create({
      model: MODEL,
      input: [
        { role: 'user', content: 'My name is Ada.' },
        { type: 'item_reference', id: messageId },
        { role: 'user', content: [{ type: 'input_text', text: 'And now?' }] },
      ],
    });
    expect(chatRequests(fixture)[2]?.messages).toEqual([
      { role: 'user', content: 'My name is Ada.' },
      answer,
      { role: 'user', content: 'And now?' },
    ]);
  });

  it('gets and deletes a stored response, and answers unknown ids with OpenAI 404s', async () => {
    const created = await fixture.openai.responses.create({ model: MODEL, input: 'Keep me' });
    const fetched = await fixture.openai.responses.retrieve(created.id);
    expect(fetched.id).toBe(created.id);
    expect(fetched.output_text).toBe(created.output_text);

    await fixture.openai.responses.delete(created.id);
    await expect(fixture.openai.responses.retrieve(created.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(
      fixture.openai.responses.create({ model: MODEL, previous_response_id: created.id, input: 'Again' }),
    ).rejects.toMatchObject({ status: 404, param: 'previous_response_id' });
    await expect(
      fixture.openai.responses.create({
        model: MODEL,
        input: [{ type: 'item_reference', id: 'msg_unknown' }],
      }),
    ).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    expect(chatRequests(fixture)).toHaveLength(1);
  });

  it('keeps nothing with store: false, nor when the workspace keeps responses 0 days', async () => {
    const unstored = await fixture.openai.responses.create({
      model: MODEL,
      input: 'Forget me',
      store: false,
    });
    await expect(fixture.openai.responses.retrieve(unstored.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);

    await setResponseRetention(fixture.server.core, fixture.actor, {
      workspaceId: fixture.workspaceId,
      days: 0,
    });
    try {
      const created = await fixture.openai.responses.create({ model: MODEL, input: 'Not kept' });
      await expect(fixture.openai.responses.retrieve(created.id)).rejects.toBeInstanceOf(
        OpenAI.NotFoundError,
      );
    } finally {
      await setResponseRetention(fixture.server.core, fixture.actor, {
        workspaceId: fixture.workspaceId,
        days: 30,
      });
    }
  });

  it('refuses what it cannot translate, naming the parameter, before calling the provider', async () => {
    await expect(
      fixture.openai.responses.create({
        model: MODEL,
        input: 'Search',
        tools: [{ type: 'web_search' }],
      }),
    ).rejects.toMatchObject({ status: 400, code: 'unsupported_parameter', param: 'tools[0].type' });
    await expect(
      fixture.openai.responses.create({ model: MODEL, input: 'Later', background: true }),
    ).rejects.toMatchObject({ status: 400, code: 'unsupported_parameter', param: 'background' });
    await expect(
      fixture.openai.responses.create({ model: MODEL, input: 'x', temperature: 7 }),
    ).rejects.toMatchObject({ status: 400, param: 'temperature' });
    expect(chatRequests(fixture)).toHaveLength(0);
  });

  it('ends a stream the provider breaks with an error event and response.failed', async () => {
    fixture.chatBehaviour.set(KEY_A, (request, response) => {
      const body = request.json() as { model: string };
      const base = { id: 'c', object: 'chat.completion.chunk', created: 1, model: body.model };
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(
        `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: 'Par' }, finish_reason: null }] })}\n\n`,
      );
      response.end(`data: ${JSON.stringify({ error: { message: 'overloaded', type: 'server_error' } })}\n\n`);
    });
    const response = await fetch(`${fixture.server.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fixture.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, input: 'Hi', stream: true }),
    });
    const text = await response.text();
    const types = [...text.matchAll(/^event: (.+)$/gm)].map((match) => match[1]);
    expect(types).toContain('response.output_text.delta');
    expect(types.slice(-2)).toEqual(['error', 'response.failed']);
    expect(text).not.toContain('response.completed');
  });
});
