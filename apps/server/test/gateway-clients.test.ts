// The clients people use, pointed at /v1 as their docs say: the Vercel AI SDK (its default
// Responses model, the OpenAI-compatible provider, tools, structured output) and LangChain.
import type { ServerResponse } from 'node:http';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { ChatOpenAI } from '@langchain/openai';
import { ENGINES, type RecordedRequest } from '@switchboard/test-utils';
import { generateObject, generateText, type ModelMessage, stepCountIs, streamText, tool } from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type GatewayFixture, KEY_A, startGatewayFixture } from './gateway-fixture.ts';

const MODEL = 'openai-compatible/local-model';

type ChatBody = {
  model: string;
  stream?: boolean;
  messages: { role: string; content?: unknown; tool_calls?: unknown }[];
  tools?: unknown[];
  response_format?: { type: string };
};
const chatRequests = (fixture: GatewayFixture): ChatBody[] =>
  fixture.upstream.requests
    .filter((request) => request.path === '/v1/chat/completions')
    .map((request) => request.json() as ChatBody);

/**
 * An upstream that answers like a model would: with a tool call when tools are offered and no
 * tool result came back yet, with JSON when asked for JSON, and with text otherwise.
 */
function modelLike(request: RecordedRequest, response: ServerResponse): void {
  const body = request.json() as ChatBody;
  const answeredTool = body.messages.some((message) => message.role === 'tool');
  const toolCall = body.tools?.length && !answeredTool;
  const json = body.response_format && body.response_format.type !== 'text';
  const content = toolCall
    ? null
    : json
      ? '{"city":"Paris","temperature":18}'
      : `It is sunny (${KEY_A.length})`;
  const calls = toolCall
    ? [
        {
          id: 'call_weather_1',
          type: 'function',
          function: { name: 'weather', arguments: '{"city":"Paris"}' },
        },
      ]
    : undefined;
  const finish = toolCall ? 'tool_calls' : 'stop';
  const usage = { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 };
  const base = { id: 'chatcmpl-like', created: 1_764_000_000, model: body.model };
  if (!body.stream) {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        ...base,
        object: 'chat.completion',
        choices: [
          { index: 0, message: { role: 'assistant', content, tool_calls: calls }, finish_reason: finish },
        ],
        usage,
      }),
    );
    return;
  }
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) =>
    `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`;
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  response.write(chunk({ role: 'assistant', content: '' }));
  if (calls) {
    response.write(
      chunk({ tool_calls: [{ index: 0, ...calls[0], function: { name: 'weather', arguments: '' } }] }),
    );
    response.write(chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":"Paris"}' } }] }));
  } else {
    for (const piece of (content ?? '').match(/.{1,6}/g) ?? []) response.write(chunk({ content: piece }));
  }
  response.write(chunk({}, finish));
  response.write(
    `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage })}\n\n`,
  );
  response.end('data: [DONE]\n\n');
}

const weather = tool({
  description: 'The weather in a city',
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ city, sky: 'clear' }),
});

describe.each(ENGINES)('the gateway on %s, through the Vercel AI SDK and LangChain', (engine) => {
  let fixture: GatewayFixture;
  let responsesProvider: ReturnType<typeof createOpenAI>;

  beforeAll(async () => {
    fixture = await startGatewayFixture(engine);
    responsesProvider = createOpenAI({ baseURL: `${fixture.server.url}/v1`, apiKey: fixture.apiKey });
  });
  afterAll(() => fixture?.close());
  beforeEach(() => {
    fixture.upstream.requests.length = 0;
    fixture.chatBehaviour.set(KEY_A, modelLike);
  });

  it('AI SDK default (Responses) model: generateText, and a next turn sent back as item_reference', async () => {
    const question: ModelMessage = { role: 'user', content: 'Weather?' };
    const first = await generateText({ model: responsesProvider(MODEL), messages: [question] });
    expect(first.text).toBe(`It is sunny (${KEY_A.length})`);
    expect(first.usage.inputTokens).toBe(11);

    const second = await generateText({
      model: responsesProvider(MODEL),
      messages: [question, ...first.response.messages, { role: 'user', content: 'And tomorrow?' }],
    });
    expect(second.text).toContain('sunny');
    const sent = fixture.upstream.requests.at(-1)?.json() as ChatBody;
    expect(sent.messages).toEqual([
      { role: 'user', content: 'Weather?' },
      { role: 'assistant', content: `It is sunny (${KEY_A.length})` },
      { role: 'user', content: 'And tomorrow?' },
    ]);

    // The earlier answer went back by reference: once the stored response is gone, the same turn is a 404.
    const deleted = await fetch(`${fixture.server.url}/v1/responses/${first.response.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${fixture.apiKey}` },
    });
    expect(deleted.status).toBe(200);
    await expect(
      generateText({
        model: responsesProvider(MODEL),
        messages: [question, ...first.response.messages, { role: 'user', content: 'And tomorrow?' }],
        maxRetries: 0,
      }),
    ).rejects.toMatchObject({ statusCode: 404 });
  });

  it('AI SDK Responses model: streamText with a tool runs both steps', async () => {
    const result = streamText({
      model: responsesProvider(MODEL),
      prompt: 'Weather in Paris?',
      tools: { weather },
      stopWhen: stepCountIs(2),
    });
    let text = '';
    for await (const part of result.textStream) text += part;
    expect(text).toBe(`It is sunny (${KEY_A.length})`);
    const steps = await result.steps;
    expect(steps[0]?.toolCalls[0]).toMatchObject({ toolName: 'weather', input: { city: 'Paris' } });
    const requests = chatRequests(fixture);
    expect(requests).toHaveLength(2);
    expect(requests[1]?.messages.at(-1)).toMatchObject({ role: 'tool', tool_call_id: 'call_weather_1' });
  });

  it('AI SDK Responses model: generateObject asks for a JSON schema and parses the answer', async () => {
    const { object } = await generateObject({
      model: responsesProvider(MODEL),
      schema: z.object({ city: z.string(), temperature: z.number() }),
      prompt: 'Weather in Paris as JSON',
    });
    expect(object).toEqual({ city: 'Paris', temperature: 18 });
    expect(chatRequests(fixture)[0]?.response_format?.type).toBe('json_schema');
  });

  it('AI SDK chat model and the OpenAI-compatible provider: generateText and streamText with tools', async () => {
    const chatModel = responsesProvider.chat(MODEL);
    expect((await generateText({ model: chatModel, prompt: 'Hi' })).text).toContain('sunny');

    const compatible = createOpenAICompatible({
      name: 'switchboard',
      baseURL: `${fixture.server.url}/v1`,
      apiKey: fixture.apiKey,
      includeUsage: true,
    });
    const result = streamText({
      model: compatible.chatModel(MODEL),
      prompt: 'Weather in Paris?',
      tools: { weather },
      stopWhen: stepCountIs(2),
    });
    let text = '';
    for await (const part of result.textStream) text += part;
    expect(text).toBe(`It is sunny (${KEY_A.length})`);
    expect((await result.totalUsage).inputTokens).toBe(22);
  });

  it('LangChain ChatOpenAI: invoke, stream, bindTools and withStructuredOutput', async () => {
    const chat = new ChatOpenAI({
      model: MODEL,
      apiKey: fixture.apiKey,
      configuration: { baseURL: `${fixture.server.url}/v1` },
      maxRetries: 0,
    });
    expect((await chat.invoke('Hi')).content).toContain('sunny');

    let streamed = '';
    for await (const chunk of await chat.stream('Hi')) streamed += String(chunk.content);
    expect(streamed).toBe(`It is sunny (${KEY_A.length})`);

    const withTools = chat.bindTools([
      {
        type: 'function',
        function: {
          name: 'weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } } },
        },
      },
    ]);
    const called = await withTools.invoke('Weather in Paris?');
    expect(called.tool_calls?.[0]).toMatchObject({ name: 'weather', args: { city: 'Paris' } });

    const structured = chat.withStructuredOutput(z.object({ city: z.string(), temperature: z.number() }));
    expect(await structured.invoke('Weather in Paris as JSON')).toEqual({ city: 'Paris', temperature: 18 });
  });

  it('a hand-written fetch loop over SSE reads every chunk as choices[0].delta', async () => {
    const response = await fetch(`${fixture.server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fixture.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, stream: true, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    const decoder = new TextDecoder();
    let buffer = '';
    let text = '';
    for await (const bytes of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(bytes, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end !== -1) {
        const data = buffer.slice(0, end).replace(/^data: /, '');
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
        if (data === '[DONE]') continue;
        text += JSON.parse(data).choices[0].delta.content ?? '';
      }
    }
    expect(text).toBe(`It is sunny (${KEY_A.length})`);
  });
});
