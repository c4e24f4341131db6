// Every client operation through every upstream: the real clients (openai, the Vercel AI SDK,
// LangChain, the Anthropic SDK and a hand-written SSE loop) call Switchboard's /v1 with a workspace
// key, and Switchboard calls one model-like local upstream per provider (OpenAI-compatible,
// Anthropic, Gemini, Ollama) in that provider's wire format. Each case checks what the client got
// and what the upstream was asked, so a parameter the gateway drops on the way fails here.
// SQLite only: no case touches the engine (the engine matrix is gateway.test.ts's job).
import Anthropic from '@anthropic-ai/sdk';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { ChatOpenAI } from '@langchain/openai';
import {
  type Actor,
  addCustomModel,
  createApiKey,
  createCredential,
  installProvider,
  setupFirstOwner,
} from '@switchboard/core';
import { generateObject, generateText, stepCountIs, streamText, tool } from 'ai';
import OpenAI from 'openai';
import { zodFunction, zodResponseFormat, zodTextFormat } from 'openai/helpers/zod';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RunningServer } from '../src/server.ts';
import { startTestServer } from './helpers.ts';
import {
  ANSWER_OBJECT,
  ANSWER_TEXT,
  ANTHROPIC_COUNT,
  GEMINI_COUNT,
  type ModelLikeUpstream,
  type Seen,
  startModelLikeUpstream,
  TOOL_ARGUMENTS,
  type UpstreamKind,
  USAGE,
} from './model-like-upstreams.ts';

const UPSTREAMS: UpstreamKind[] = ['openai-compatible', 'anthropic', 'gemini', 'ollama'];

/** What a case has to work with. */
interface Context {
  up: ModelLikeUpstream;
  /** The model as clients name it: `provider/model`. */
  model: string;
  /** The server's root URL. */
  url: string;
  apiKey: string;
  openai: OpenAI;
}

/** One client operation; `run` calls the client and asserts both ends. */
interface Operation {
  client: string;
  operation: string;
  run(context: Context): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// What the upstream must have been asked.

const generations = (context: Context) => context.up.generations().map((request) => context.up.seen(request));
/** The one generation request this case made. */
function onlyRequest(context: Context): Seen {
  const seen = generations(context);
  expect(seen).toHaveLength(1);
  return seen[0] as Seen;
}

/** A named tool_choice as the provider can express it: Ollama has none and offers that tool alone. */
function expectNamedTool(context: Context, seen: Seen, offered: string[]): void {
  if (context.up.kind === 'ollama') {
    expect(seen.tools).toEqual(['weather']);
    expect(seen.toolChoice).toBeUndefined();
  } else {
    expect(seen.tools).toEqual(offered);
    expect(seen.toolChoice).toEqual({ name: 'weather' });
  }
}

/** A refusal in OpenAI's error JSON naming the parameter, and nothing sent upstream. */
async function expectUnsupported(context: Context, call: Promise<unknown>, param: string): Promise<void> {
  await expect(call).rejects.toMatchObject({ status: 400, code: 'unsupported_parameter', param });
  expect(generations(context)).toHaveLength(0);
}

/** The schema the upstream got for `{ city: string, temperature: number }`. */
function expectWeatherSchema(seen: Seen): void {
  expect(seen.json).toMatchObject({
    schema: {
      type: 'object',
      properties: { city: { type: 'string' }, temperature: { type: 'number' } },
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Tools the clients offer.

const WEATHER_FUNCTION = {
  name: 'weather',
  description: 'The weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const TIME_FUNCTION = {
  name: 'time',
  description: 'The time in a zone',
  parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] },
};
const OPENAI_TOOLS = [
  { type: 'function' as const, function: WEATHER_FUNCTION },
  { type: 'function' as const, function: TIME_FUNCTION },
];
const weatherTool = tool({
  description: 'The weather in a city',
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ city, sky: 'clear' }),
});
/** A 1x1 PNG, inline. */
const PNG_DATA =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const PNG_URL = `data:image/png;base64,${PNG_DATA}`;
const WeatherObject = z.object({ city: z.string(), temperature: z.number() });

/** Reads an SSE body as the `data:` payloads of its events. */
async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const bytes of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(bytes, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      for (const line of event.split('\n')) if (line.startsWith('data: ')) yield line.slice(6);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The operations.

const openaiSdk: Operation[] = [
  {
    client: 'openai',
    operation: 'chat.completions.create',
    async run(context) {
      const completion = await context.openai.chat.completions.create({
        model: context.model,
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Weather?' },
        ],
        max_completion_tokens: 100,
        temperature: 0.3,
        top_p: 0.9,
        stop: 'END',
      });
      expect(completion.choices[0]?.message.content).toBe(ANSWER_TEXT);
      expect(completion.choices[0]?.finish_reason).toBe('stop');
      expect(completion.usage).toMatchObject({ prompt_tokens: USAGE.input, completion_tokens: USAGE.output });
      expect(onlyRequest(context)).toMatchObject({
        streamed: false,
        tools: [],
        json: undefined,
        lastUserText: 'Weather?',
        roles: ['system', 'user'],
        maxTokens: 100,
        temperature: 0.3,
        topP: 0.9,
        stop: ['END'],
      });
    },
  },
  {
    client: 'openai',
    operation: 'chat.completions.create stream',
    async run(context) {
      const stream = await context.openai.chat.completions.create({
        model: context.model,
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'Weather?' }],
      });
      let text = '';
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        if (chunk.usage) usage = chunk.usage;
      }
      expect(text).toBe(ANSWER_TEXT);
      expect(usage).toMatchObject({ prompt_tokens: USAGE.input, completion_tokens: USAGE.output });
      expect(onlyRequest(context)).toMatchObject({ streamed: true, tools: [], lastUserText: 'Weather?' });
    },
  },
  {
    client: 'openai',
    operation: 'chat.completions.create with tools and a named tool_choice',
    async run(context) {
      const completion = await context.openai.chat.completions.create({
        model: context.model,
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
        tools: OPENAI_TOOLS,
        tool_choice: { type: 'function', function: { name: 'weather' } },
      });
      const call = completion.choices[0]?.message.tool_calls?.[0];
      expect(call?.type === 'function' && call.function.name).toBe('weather');
      expect(call?.type === 'function' && JSON.parse(call.function.arguments)).toEqual(TOOL_ARGUMENTS);
      expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
      expectNamedTool(context, onlyRequest(context), ['weather', 'time']);
    },
  },
  {
    client: 'openai',
    operation: 'chat.completions.create stream with tools',
    async run(context) {
      const stream = await context.openai.chat.completions.create({
        model: context.model,
        stream: true,
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
        tools: OPENAI_TOOLS,
        tool_choice: 'auto',
      });
      let name = '';
      let args = '';
      let finish: string | null | undefined;
      for await (const chunk of stream) {
        const choice = chunk.choices[0];
        for (const call of choice?.delta.tool_calls ?? []) {
          name += call.function?.name ?? '';
          args += call.function?.arguments ?? '';
        }
        finish = choice?.finish_reason ?? finish;
      }
      expect(name).toBe('weather');
      expect(JSON.parse(args)).toEqual(TOOL_ARGUMENTS);
      expect(finish).toBe('tool_calls');
      const seen = onlyRequest(context);
      expect(seen).toMatchObject({ streamed: true, tools: ['weather', 'time'] });
      // Ollama's only choice is auto, so it says nothing.
      expect(seen.toolChoice).toBe(context.up.kind === 'ollama' ? undefined : 'auto');
    },
  },
  {
    client: 'openai',
    operation: 'chat.completions.stream helper with a zodFunction tool',
    async run(context) {
      // The SDK's stream helper rebuilds the whole completion from the deltas and parses the call.
      const stream = context.openai.chat.completions.stream({
        model: context.model,
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
        tools: [zodFunction({ name: 'weather', parameters: z.object({ city: z.string() }) })],
      });
      const final = await stream.finalChatCompletion();
      const call = final.choices[0]?.message.tool_calls?.[0];
      expect(call).toMatchObject({
        type: 'function',
        function: { name: 'weather', parsed_arguments: TOOL_ARGUMENTS },
      });
      expect(final.choices[0]?.finish_reason).toBe('tool_calls');
      expect(onlyRequest(context)).toMatchObject({ streamed: true, tools: ['weather'] });
    },
  },
  {
    client: 'openai',
    operation: 'chat.completions.parse with zodResponseFormat',
    async run(context) {
      const completion = await context.openai.chat.completions.parse({
        model: context.model,
        messages: [{ role: 'user', content: 'Weather in Paris as JSON' }],
        response_format: zodResponseFormat(WeatherObject, 'weather'),
      });
      expect(completion.choices[0]?.message.parsed).toEqual(ANSWER_OBJECT);
      expectWeatherSchema(onlyRequest(context));
    },
  },
  {
    client: 'openai',
    operation: 'chat.completions.create tool_choice required',
    async run(context) {
      const call = context.openai.chat.completions.create({
        model: context.model,
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
        tools: OPENAI_TOOLS,
        tool_choice: 'required',
      });
      if (context.up.kind === 'ollama') {
        // Ollama cannot force a call: refused by name, never sent as if it could.
        await expect(call).rejects.toMatchObject({
          status: 400,
          code: 'unsupported_parameter',
          param: 'tool_choice',
        });
        expect(generations(context)).toHaveLength(0);
        return;
      }
      const completion = await call;
      const tool = completion.choices[0]?.message.tool_calls?.[0];
      expect(tool?.type === 'function' && tool.function.name).toBe('weather');
      expect(onlyRequest(context)).toMatchObject({ tools: ['weather', 'time'], toolChoice: 'required' });
    },
  },
  {
    client: 'openai',
    operation: 'chat.completions.create response_format json_object',
    async run(context) {
      const completion = await context.openai.chat.completions.create({
        model: context.model,
        messages: [{ role: 'user', content: 'Weather in Paris as JSON' }],
        response_format: { type: 'json_object' },
      });
      expect(JSON.parse(completion.choices[0]?.message.content ?? '')).toEqual(ANSWER_OBJECT);
      expect(onlyRequest(context).json).toBe('object');
    },
  },
  {
    client: 'openai',
    operation: 'chat.completions.create stream response_format json_object',
    async run(context) {
      const stream = await context.openai.chat.completions.create({
        model: context.model,
        stream: true,
        messages: [{ role: 'user', content: 'Weather in Paris as JSON' }],
        response_format: { type: 'json_object' },
      });
      let text = '';
      let finish: string | null | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      expect(JSON.parse(text)).toEqual(ANSWER_OBJECT);
      expect(finish).toBe('stop');
      expect(onlyRequest(context)).toMatchObject({ streamed: true, json: 'object' });
    },
  },
  {
    client: 'openai',
    operation: 'chat.completions.create response_format json_schema',
    async run(context) {
      const completion = await context.openai.chat.completions.create({
        model: context.model,
        messages: [{ role: 'user', content: 'Weather in Paris as JSON' }],
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'weather',
            strict: true,
            schema: {
              type: 'object',
              properties: { city: { type: 'string' }, temperature: { type: 'number' } },
              required: ['city', 'temperature'],
              additionalProperties: false,
            },
          },
        },
      });
      expect(JSON.parse(completion.choices[0]?.message.content ?? '')).toEqual(ANSWER_OBJECT);
      expectWeatherSchema(onlyRequest(context));
    },
  },
  {
    client: 'openai',
    operation: 'chat.completions.create with an inline image',
    async run(context) {
      const completion = await context.openai.chat.completions.create({
        model: context.model,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is this?' },
              { type: 'image_url', image_url: { url: PNG_URL } },
            ],
          },
        ],
      });
      expect(completion.choices[0]?.message.content).toBe(ANSWER_TEXT);
      expect(onlyRequest(context)).toMatchObject({ images: 1, lastUserText: 'What is this?' });
    },
  },
  {
    client: 'openai',
    operation: 'responses.create',
    async run(context) {
      const response = await context.openai.responses.create({
        model: context.model,
        instructions: 'Be brief.',
        input: 'Weather?',
        max_output_tokens: 100,
        temperature: 0.3,
      });
      expect(response.output_text).toBe(ANSWER_TEXT);
      expect(response.usage).toMatchObject({ input_tokens: USAGE.input, output_tokens: USAGE.output });
      expect(onlyRequest(context)).toMatchObject({
        streamed: false,
        tools: [],
        lastUserText: 'Weather?',
        roles: ['system', 'user'],
        maxTokens: 100,
        temperature: 0.3,
      });
    },
  },
  {
    client: 'openai',
    operation: 'responses.create with input_text and input_image parts',
    async run(context) {
      const response = await context.openai.responses.create({
        model: context.model,
        input: [
          {
            role: 'user',
            content: [
              { type: 'input_text', text: 'What is this?' },
              { type: 'input_image', image_url: PNG_URL, detail: 'auto' },
            ],
          },
        ],
      });
      expect(response.output_text).toBe(ANSWER_TEXT);
      expect(onlyRequest(context)).toMatchObject({ images: 1, lastUserText: 'What is this?' });
    },
  },
  {
    client: 'openai',
    operation: 'responses.create continued with previous_response_id',
    async run(context) {
      const first = await context.openai.responses.create({ model: context.model, input: 'Weather?' });
      const second = await context.openai.responses.create({
        model: context.model,
        previous_response_id: first.id,
        input: 'And tomorrow?',
      });
      expect(second.output_text).toBe(ANSWER_TEXT);
      const seen = generations(context);
      expect(seen).toHaveLength(2);
      expect(seen[1]).toMatchObject({ roles: ['user', 'assistant', 'user'], lastUserText: 'And tomorrow?' });
    },
  },
  {
    client: 'openai',
    operation: 'responses.create with a function tool',
    async run(context) {
      const response = await context.openai.responses.create({
        model: context.model,
        input: 'Weather in Paris?',
        tools: [{ type: 'function', strict: false, ...WEATHER_FUNCTION }],
      });
      const call = response.output.find((item) => item.type === 'function_call');
      expect(call).toMatchObject({ type: 'function_call', name: 'weather' });
      expect(JSON.parse((call as { arguments: string }).arguments)).toEqual(TOOL_ARGUMENTS);
      expect(onlyRequest(context)).toMatchObject({ tools: ['weather'], toolResult: false });
    },
  },
  {
    client: 'openai',
    operation: 'responses.create with a named tool_choice',
    async run(context) {
      const response = await context.openai.responses.create({
        model: context.model,
        input: 'Weather in Paris?',
        tools: [
          { type: 'function', strict: false, ...WEATHER_FUNCTION },
          { type: 'function', strict: false, ...TIME_FUNCTION },
        ],
        tool_choice: { type: 'function', name: 'weather' },
      });
      expect(response.output.find((item) => item.type === 'function_call')).toMatchObject({
        name: 'weather',
      });
      expectNamedTool(context, onlyRequest(context), ['weather', 'time']);
    },
  },
  {
    client: 'openai',
    operation: 'responses.create tool_choice required',
    async run(context) {
      const call = context.openai.responses.create({
        model: context.model,
        input: 'Weather in Paris?',
        tools: [{ type: 'function', strict: false, ...WEATHER_FUNCTION }],
        tool_choice: 'required',
      });
      if (context.up.kind === 'ollama') return expectUnsupported(context, call, 'tool_choice');
      await call;
      expect(onlyRequest(context)).toMatchObject({ tools: ['weather'], toolChoice: 'required' });
    },
  },
  {
    client: 'openai',
    operation: 'responses.create text.format json_object',
    async run(context) {
      const response = await context.openai.responses.create({
        model: context.model,
        input: 'Weather in Paris as JSON',
        text: { format: { type: 'json_object' } },
      });
      expect(JSON.parse(response.output_text)).toEqual(ANSWER_OBJECT);
      expect(onlyRequest(context).json).toBe('object');
    },
  },
  {
    client: 'openai',
    operation: 'responses.create with a built-in web_search tool',
    async run(context) {
      // No upstream here searches the web: refused by name, never answered without the search.
      const call = context.openai.responses.create({
        model: context.model,
        input: 'News from Paris?',
        tools: [{ type: 'web_search' }],
      });
      await expectUnsupported(context, call, 'tools[0].type');
    },
  },
  {
    client: 'openai',
    operation: 'responses.parse with zodTextFormat',
    async run(context) {
      const response = await context.openai.responses.parse({
        model: context.model,
        input: 'Weather in Paris as JSON',
        text: { format: zodTextFormat(WeatherObject, 'weather') },
      });
      expect(response.output_parsed).toEqual(ANSWER_OBJECT);
      expectWeatherSchema(onlyRequest(context));
    },
  },
  {
    client: 'openai',
    operation: 'responses.create with function_call_output items (store false)',
    async run(context) {
      const response = await context.openai.responses.create({
        model: context.model,
        store: false,
        tools: [{ type: 'function', strict: false, ...WEATHER_FUNCTION }],
        input: [
          { role: 'user', content: 'Weather in Paris?' },
          {
            type: 'function_call',
            call_id: 'call_earlier_1',
            name: 'weather',
            arguments: '{"city":"Paris"}',
          },
          { type: 'function_call_output', call_id: 'call_earlier_1', output: '{"sky":"clear"}' },
        ],
      });
      expect(response.output_text).toBe(ANSWER_TEXT);
      expect(onlyRequest(context)).toMatchObject({
        tools: ['weather'],
        toolResult: true,
        roles: ['user', 'assistant', 'tool'],
      });
    },
  },
  {
    client: 'openai',
    operation: 'responses.stream with a function tool',
    async run(context) {
      const stream = context.openai.responses.stream({
        model: context.model,
        input: 'Weather in Paris?',
        tools: [{ type: 'function', strict: false, ...WEATHER_FUNCTION }],
      });
      let argumentDeltas = '';
      for await (const event of stream)
        if (event.type === 'response.function_call_arguments.delta') argumentDeltas += event.delta;
      const final = await stream.finalResponse();
      expect(JSON.parse(argumentDeltas)).toEqual(TOOL_ARGUMENTS);
      const call = final.output.find((item) => item.type === 'function_call');
      expect(call).toMatchObject({ name: 'weather', status: 'completed' });
      expect(JSON.parse((call as { arguments: string }).arguments)).toEqual(TOOL_ARGUMENTS);
      expect(onlyRequest(context)).toMatchObject({ streamed: true, tools: ['weather'] });
    },
  },
  {
    client: 'openai',
    operation: 'responses.stream with zodTextFormat',
    async run(context) {
      const stream = context.openai.responses.stream({
        model: context.model,
        input: 'Weather in Paris as JSON',
        text: { format: zodTextFormat(WeatherObject, 'weather') },
      });
      const final = await stream.finalResponse();
      expect(final.output_parsed).toEqual(ANSWER_OBJECT);
      const seen = onlyRequest(context);
      expect(seen.streamed).toBe(true);
      expectWeatherSchema(seen);
    },
  },
  {
    client: 'openai',
    operation: 'responses.stream',
    async run(context) {
      const stream = context.openai.responses.stream({ model: context.model, input: 'Weather?' });
      let deltas = '';
      for await (const event of stream)
        if (event.type === 'response.output_text.delta') deltas += event.delta;
      const final = await stream.finalResponse();
      expect(deltas).toBe(ANSWER_TEXT);
      expect(final.output_text).toBe(ANSWER_TEXT);
      expect(final.usage).toMatchObject({ input_tokens: USAGE.input, output_tokens: USAGE.output });
      expect(onlyRequest(context)).toMatchObject({ streamed: true, lastUserText: 'Weather?' });
    },
  },
];

const aiSdk: Operation[] = [
  {
    client: '@ai-sdk/openai (Responses)',
    operation: 'generateText',
    async run(context) {
      const provider = createOpenAI({ baseURL: `${context.url}/v1`, apiKey: context.apiKey });
      const result = await generateText({
        model: provider(context.model),
        prompt: 'Weather?',
        maxOutputTokens: 100,
        temperature: 0.3,
        maxRetries: 0,
      });
      expect(result.text).toBe(ANSWER_TEXT);
      expect(result.usage.inputTokens).toBe(USAGE.input);
      expect(onlyRequest(context)).toMatchObject({
        streamed: false,
        tools: [],
        lastUserText: 'Weather?',
        maxTokens: 100,
        temperature: 0.3,
      });
    },
  },
  {
    client: '@ai-sdk/openai (Responses)',
    operation: 'streamText with a tool over two steps',
    async run(context) {
      const provider = createOpenAI({ baseURL: `${context.url}/v1`, apiKey: context.apiKey });
      const result = streamText({
        model: provider(context.model),
        prompt: 'Weather in Paris?',
        tools: { weather: weatherTool },
        stopWhen: stepCountIs(2),
        maxRetries: 0,
      });
      let text = '';
      for await (const part of result.textStream) text += part;
      expect(text).toBe(ANSWER_TEXT);
      const steps = await result.steps;
      expect(steps[0]?.toolCalls[0]).toMatchObject({ toolName: 'weather', input: TOOL_ARGUMENTS });
      const seen = generations(context);
      expect(seen).toHaveLength(2);
      expect(seen[0]).toMatchObject({ streamed: true, tools: ['weather'], toolResult: false });
      expect(seen[1]).toMatchObject({ streamed: true, tools: ['weather'], toolResult: true });
    },
  },
  {
    client: '@ai-sdk/openai (Responses)',
    operation: 'generateText with toolChoice naming a tool',
    async run(context) {
      const provider = createOpenAI({ baseURL: `${context.url}/v1`, apiKey: context.apiKey });
      const result = await generateText({
        model: provider(context.model),
        prompt: 'Weather in Paris?',
        tools: {
          weather: weatherTool,
          time: tool({ description: 'The time in a zone', inputSchema: z.object({ zone: z.string() }) }),
        },
        toolChoice: { type: 'tool', toolName: 'weather' },
        maxRetries: 0,
      });
      expect(result.toolCalls[0]).toMatchObject({ toolName: 'weather', input: TOOL_ARGUMENTS });
      expectNamedTool(context, onlyRequest(context), ['weather', 'time']);
    },
  },
  {
    client: '@ai-sdk/openai (Responses)',
    operation: 'generateObject',
    async run(context) {
      const provider = createOpenAI({ baseURL: `${context.url}/v1`, apiKey: context.apiKey });
      const { object } = await generateObject({
        model: provider(context.model),
        schema: WeatherObject,
        prompt: 'Weather in Paris as JSON',
        maxRetries: 0,
      });
      expect(object).toEqual(ANSWER_OBJECT);
      expectWeatherSchema(onlyRequest(context));
    },
  },
  {
    client: '@ai-sdk/openai-compatible',
    operation: 'generateText',
    async run(context) {
      const provider = createOpenAICompatible({
        name: 'switchboard',
        baseURL: `${context.url}/v1`,
        apiKey: context.apiKey,
      });
      const result = await generateText({
        model: provider.chatModel(context.model),
        prompt: 'Weather?',
        maxOutputTokens: 100,
        temperature: 0.3,
        maxRetries: 0,
      });
      expect(result.text).toBe(ANSWER_TEXT);
      expect(result.usage.inputTokens).toBe(USAGE.input);
      expect(onlyRequest(context)).toMatchObject({
        streamed: false,
        lastUserText: 'Weather?',
        maxTokens: 100,
        temperature: 0.3,
      });
    },
  },
  {
    client: '@ai-sdk/openai-compatible',
    operation: 'streamText with tools over two steps',
    async run(context) {
      const provider = createOpenAICompatible({
        name: 'switchboard',
        baseURL: `${context.url}/v1`,
        apiKey: context.apiKey,
        includeUsage: true,
      });
      const result = streamText({
        model: provider.chatModel(context.model),
        prompt: 'Weather in Paris?',
        tools: { weather: weatherTool },
        stopWhen: stepCountIs(2),
        maxRetries: 0,
      });
      let text = '';
      for await (const part of result.textStream) text += part;
      expect(text).toBe(ANSWER_TEXT);
      expect((await result.steps)[0]?.toolCalls[0]).toMatchObject({
        toolName: 'weather',
        input: TOOL_ARGUMENTS,
      });
      expect((await result.totalUsage).inputTokens).toBe(2 * USAGE.input);
      const seen = generations(context);
      expect(seen).toHaveLength(2);
      expect(seen[0]).toMatchObject({ streamed: true, tools: ['weather'], toolResult: false });
      expect(seen[1]).toMatchObject({ streamed: true, toolResult: true });
    },
  },
];

const chatOpenAI = (context: Context) =>
  new ChatOpenAI({
    model: context.model,
    apiKey: context.apiKey,
    configuration: { baseURL: `${context.url}/v1` },
    maxRetries: 0,
  });

const langchain: Operation[] = [
  {
    client: '@langchain/openai',
    operation: 'invoke',
    async run(context) {
      const chat = new ChatOpenAI({
        model: context.model,
        apiKey: context.apiKey,
        configuration: { baseURL: `${context.url}/v1` },
        maxRetries: 0,
        maxTokens: 100,
        temperature: 0.3,
      });
      expect((await chat.invoke('Weather?')).content).toBe(ANSWER_TEXT);
      expect(onlyRequest(context)).toMatchObject({
        streamed: false,
        lastUserText: 'Weather?',
        maxTokens: 100,
        temperature: 0.3,
      });
    },
  },
  {
    client: '@langchain/openai',
    operation: 'stream',
    async run(context) {
      let text = '';
      for await (const chunk of await chatOpenAI(context).stream('Weather?')) text += String(chunk.content);
      expect(text).toBe(ANSWER_TEXT);
      expect(onlyRequest(context)).toMatchObject({ streamed: true, lastUserText: 'Weather?' });
    },
  },
  {
    client: '@langchain/openai',
    operation: 'bindTools',
    async run(context) {
      const called = await chatOpenAI(context).bindTools(OPENAI_TOOLS).invoke('Weather in Paris?');
      expect(called.tool_calls?.[0]).toMatchObject({ name: 'weather', args: TOOL_ARGUMENTS });
      expect(onlyRequest(context)).toMatchObject({ tools: ['weather', 'time'] });
    },
  },
  {
    client: '@langchain/openai',
    operation: 'stream with bindTools',
    async run(context) {
      let gathered: Awaited<ReturnType<ReturnType<typeof chatOpenAI>['invoke']>> | undefined;
      for await (const chunk of await chatOpenAI(context).bindTools(OPENAI_TOOLS).stream('Weather in Paris?'))
        gathered = gathered === undefined ? chunk : gathered.concat(chunk);
      expect(gathered?.tool_calls?.[0]).toMatchObject({ name: 'weather', args: TOOL_ARGUMENTS });
      expect(onlyRequest(context)).toMatchObject({ streamed: true, tools: ['weather', 'time'] });
    },
  },
  {
    client: '@langchain/openai',
    operation: 'bindTools and stream through the Responses API (useResponsesApi)',
    async run(context) {
      const chat = new ChatOpenAI({
        model: context.model,
        apiKey: context.apiKey,
        configuration: { baseURL: `${context.url}/v1` },
        maxRetries: 0,
        useResponsesApi: true,
      });
      const called = await chat.bindTools(OPENAI_TOOLS).invoke('Weather in Paris?');
      expect(called.tool_calls?.[0]).toMatchObject({ name: 'weather', args: TOOL_ARGUMENTS });
      let text = '';
      for await (const chunk of await chat.stream('Weather?')) text += chunk.text;
      expect(text).toBe(ANSWER_TEXT);
      const seen = generations(context);
      expect(seen).toHaveLength(2);
      expect(seen[0]).toMatchObject({ streamed: false, tools: ['weather', 'time'] });
      expect(seen[1]).toMatchObject({ streamed: true, tools: [], lastUserText: 'Weather?' });
    },
  },
  {
    client: '@langchain/openai',
    operation: 'withStructuredOutput (JSON schema, the default)',
    async run(context) {
      const structured = chatOpenAI(context).withStructuredOutput(WeatherObject);
      expect(await structured.invoke('Weather in Paris as JSON')).toEqual(ANSWER_OBJECT);
      expectWeatherSchema(onlyRequest(context));
    },
  },
  {
    client: '@langchain/openai',
    operation: 'withStructuredOutput (functionCalling)',
    async run(context) {
      const structured = chatOpenAI(context).withStructuredOutput(WeatherObject, {
        method: 'functionCalling',
        name: 'report',
      });
      expect(await structured.invoke('Weather in Paris as JSON')).toEqual(ANSWER_OBJECT);
      const seen = onlyRequest(context);
      expect(seen.tools).toEqual(['report']);
      // Ollama offers the one tool; the others are told to call it.
      expect(seen.toolChoice).toEqual(context.up.kind === 'ollama' ? undefined : { name: 'report' });
    },
  },
  {
    client: '@langchain/openai',
    operation: 'withStructuredOutput (jsonMode)',
    async run(context) {
      const structured = chatOpenAI(context).withStructuredOutput(WeatherObject, { method: 'jsonMode' });
      expect(await structured.invoke('Weather in Paris as JSON')).toEqual(ANSWER_OBJECT);
      expect(onlyRequest(context).json).toBe('object');
    },
  },
];

const anthropicClient = (context: Context) =>
  new Anthropic({ baseURL: context.url, apiKey: context.apiKey, maxRetries: 0 });
const ANTHROPIC_WEATHER = {
  name: 'weather',
  description: 'The weather in a city',
  input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] },
};

const anthropicSdk: Operation[] = [
  {
    client: '@anthropic-ai/sdk',
    operation: 'messages.create',
    async run(context) {
      const message = await anthropicClient(context).messages.create({
        model: context.model,
        max_tokens: 256,
        system: 'Be brief.',
        messages: [{ role: 'user', content: 'Weather?' }],
      });
      expect(message.content).toEqual([expect.objectContaining({ type: 'text', text: ANSWER_TEXT })]);
      expect(message.stop_reason).toBe('end_turn');
      expect(message.usage).toMatchObject({ input_tokens: USAGE.input, output_tokens: USAGE.output });
      expect(onlyRequest(context)).toMatchObject({
        streamed: false,
        tools: [],
        lastUserText: 'Weather?',
        roles: ['system', 'user'],
        maxTokens: 256,
      });
    },
  },
  {
    client: '@anthropic-ai/sdk',
    operation: 'messages.create with stop_sequences and a named tool',
    async run(context) {
      const message = await anthropicClient(context).messages.create({
        model: context.model,
        max_tokens: 256,
        stop_sequences: ['END'],
        tools: [ANTHROPIC_WEATHER, { name: 'time', input_schema: TIME_FUNCTION.parameters as never }],
        tool_choice: { type: 'tool', name: 'weather' },
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
      });
      expect(message.content.find((block) => block.type === 'tool_use')).toMatchObject({
        name: 'weather',
        input: TOOL_ARGUMENTS,
      });
      const seen = onlyRequest(context);
      expect(seen.stop).toEqual(['END']);
      expectNamedTool(context, seen, ['weather', 'time']);
    },
  },
  {
    client: '@anthropic-ai/sdk',
    operation: 'messages.create with tool_choice any',
    async run(context) {
      const call = anthropicClient(context).messages.create({
        model: context.model,
        max_tokens: 256,
        tools: [ANTHROPIC_WEATHER],
        tool_choice: { type: 'any' },
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
      });
      if (context.up.kind === 'ollama') {
        // Anthropic's error JSON, so the SDK raises its own class; nothing reached Ollama.
        await expect(call).rejects.toBeInstanceOf(Anthropic.BadRequestError);
        await expect(call).rejects.toMatchObject({ message: expect.stringContaining('tool_choice') });
        expect(generations(context)).toHaveLength(0);
        return;
      }
      const message = await call;
      expect(message.stop_reason).toBe('tool_use');
      expect(onlyRequest(context)).toMatchObject({ tools: ['weather'], toolChoice: 'required' });
    },
  },
  {
    client: '@anthropic-ai/sdk',
    operation: 'messages.create with an image block',
    async run(context) {
      const message = await anthropicClient(context).messages.create({
        model: context.model,
        max_tokens: 256,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_DATA } },
              { type: 'text', text: 'What is this?' },
            ],
          },
        ],
      });
      expect(message.content).toEqual([expect.objectContaining({ type: 'text', text: ANSWER_TEXT })]);
      expect(onlyRequest(context)).toMatchObject({ images: 1, lastUserText: 'What is this?' });
    },
  },
  {
    client: '@anthropic-ai/sdk',
    operation: 'messages.create with a tool result',
    async run(context) {
      const message = await anthropicClient(context).messages.create({
        model: context.model,
        max_tokens: 256,
        tools: [ANTHROPIC_WEATHER],
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          {
            role: 'assistant',
            content: [{ type: 'tool_use', id: 'toolu_earlier_1', name: 'weather', input: TOOL_ARGUMENTS }],
          },
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: 'toolu_earlier_1', content: '{"sky":"clear"}' }],
          },
        ],
      });
      expect(message.content).toEqual([expect.objectContaining({ type: 'text', text: ANSWER_TEXT })]);
      expect(onlyRequest(context)).toMatchObject({
        tools: ['weather'],
        toolResult: true,
        roles: ['user', 'assistant', 'tool'],
      });
    },
  },
  {
    client: '@anthropic-ai/sdk',
    operation: 'messages.stream',
    async run(context) {
      const stream = anthropicClient(context).messages.stream({
        model: context.model,
        max_tokens: 256,
        messages: [{ role: 'user', content: 'Weather?' }],
      });
      let text = '';
      stream.on('text', (delta) => {
        text += delta;
      });
      const message = await stream.finalMessage();
      expect(text).toBe(ANSWER_TEXT);
      expect(message.stop_reason).toBe('end_turn');
      expect(message.usage).toMatchObject({ input_tokens: USAGE.input, output_tokens: USAGE.output });
      expect(onlyRequest(context)).toMatchObject({ streamed: true, tools: [], lastUserText: 'Weather?' });
    },
  },
  {
    client: '@anthropic-ai/sdk',
    operation: 'messages.stream with tools',
    async run(context) {
      const stream = anthropicClient(context).messages.stream({
        model: context.model,
        max_tokens: 256,
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
        tools: [ANTHROPIC_WEATHER],
        tool_choice: { type: 'auto' },
      });
      const message = await stream.finalMessage();
      expect(message.stop_reason).toBe('tool_use');
      expect(message.content.find((block) => block.type === 'tool_use')).toMatchObject({
        name: 'weather',
        input: TOOL_ARGUMENTS,
      });
      const seen = onlyRequest(context);
      expect(seen).toMatchObject({ streamed: true, tools: ['weather'] });
      expect(seen.toolChoice).toBe(context.up.kind === 'ollama' ? undefined : 'auto');
    },
  },
  {
    client: '@anthropic-ai/sdk',
    operation: 'messages.countTokens',
    async run(context) {
      const counted = await anthropicClient(context).messages.countTokens({
        model: context.model,
        system: 'Be brief.',
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
      });
      const asked = context.up.upstream.requests.filter((request) => /count_?tokens$/i.test(request.path));
      expect(generations(context)).toHaveLength(0);
      if (context.up.kind === 'anthropic') {
        // Anthropic counts: its own count, the body relayed as it is.
        expect(counted.input_tokens).toBe(ANTHROPIC_COUNT);
        expect(asked.map((request) => request.json())).toEqual([
          {
            model: context.up.model,
            system: 'Be brief.',
            messages: [{ role: 'user', content: 'Weather in Paris?' }],
          },
        ]);
      } else if (context.up.kind === 'gemini') {
        // Gemini counts too: the translated request, system instruction included.
        expect(counted.input_tokens).toBe(GEMINI_COUNT);
        expect(asked.map((request) => request.json())).toEqual([
          {
            generateContentRequest: {
              model: `models/${context.up.model}`,
              systemInstruction: { parts: [{ text: 'Be brief.' }] },
              contents: [{ role: 'user', parts: [{ text: 'Weather in Paris?' }] }],
            },
          },
        ]);
      } else {
        // No counting endpoint to ask: the gateway estimates.
        expect(counted.input_tokens).toBeGreaterThan(0);
        expect(asked).toHaveLength(0);
      }
    },
  },
];

const handWritten: Operation[] = [
  {
    client: 'fetch over SSE',
    operation: 'chat completions read as choices[0].delta',
    async run(context) {
      const response = await fetch(`${context.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${context.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: context.model,
          stream: true,
          messages: [{ role: 'user', content: 'Weather?' }],
        }),
      });
      expect(response.status).toBe(200);
      let text = '';
      let done = false;
      for await (const data of sseData(response.body as ReadableStream<Uint8Array>)) {
        if (data === '[DONE]') {
          done = true;
          continue;
        }
        // The common loop: every chunk has a first choice with a delta (no usage-only chunk unasked).
        text += JSON.parse(data).choices[0].delta.content ?? '';
      }
      expect(done).toBe(true);
      expect(text).toBe(ANSWER_TEXT);
      expect(onlyRequest(context)).toMatchObject({ streamed: true, lastUserText: 'Weather?' });
    },
  },
];

const CLIENTS: [string, Operation[]][] = [
  ['openai', openaiSdk],
  ['the Vercel AI SDK', aiSdk],
  ['LangChain', langchain],
  ['the Anthropic SDK', anthropicSdk],
  ['a hand-written fetch loop', handWritten],
];

// ---------------------------------------------------------------------------------------------
// One server and one upstream per provider for the whole file.

let server: RunningServer;
let apiKey: string;
let openai: OpenAI;
const upstreams = new Map<UpstreamKind, ModelLikeUpstream>();

beforeAll(async () => {
  for (const kind of UPSTREAMS) upstreams.set(kind, await startModelLikeUpstream(kind));
  const url = (kind: UpstreamKind) => (upstreams.get(kind) as ModelLikeUpstream).upstream.url;
  server = await startTestServer('sqlite');
  const setup = await setupFirstOwner(server.core, {
    email: 'matrix@example.test',
    password: 'a long enough password',
    workspaceName: 'Matrix',
  });
  const actor: Actor = { kind: 'user', userId: setup.user.id };
  const workspaceId = setup.workspace.id;
  for (const provider of UPSTREAMS) await installProvider(server.core, actor, { workspaceId, provider });
  await addCustomModel(server.core, actor, {
    workspaceId,
    provider: 'openai-compatible',
    model: { name: 'local-model', type: 'llm' },
    credential: {
      name: 'local',
      values: { base_url: `${url('openai-compatible')}/v1`, api_key: 'sk-test-fake-matrix-0001' },
    },
  });
  await createCredential(server.core, actor, {
    workspaceId,
    provider: 'anthropic',
    name: 'anthropic-main',
    values: { api_key: 'fake-anthropic-key-for-tests-matrix', base_url: url('anthropic') },
  });
  await createCredential(server.core, actor, {
    workspaceId,
    provider: 'gemini',
    name: 'gemini-main',
    values: { api_key: 'test-fake-gemini-matrix-0001', base_url: url('gemini') },
  });
  await addCustomModel(server.core, actor, {
    workspaceId,
    provider: 'ollama',
    model: { name: 'llama3.2', type: 'llm' },
    credential: { name: 'local-ollama', values: { base_url: url('ollama') } },
  });
  ({ key: apiKey } = await createApiKey(server.core, actor, { workspaceId, name: 'matrix' }));
  openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey, maxRetries: 0, timeout: 10_000 });
});

afterAll(async () => {
  await server?.stop();
  for (const up of upstreams.values()) await up.upstream.close();
});

beforeEach(() => {
  for (const up of upstreams.values()) up.upstream.requests.length = 0;
});

describe.each(CLIENTS)('through %s', (_client, operations) => {
  const cases = operations.flatMap((operation) =>
    UPSTREAMS.map((kind) => [operation.operation, kind, operation] as const),
  );
  it.each(cases)('%s, to a %s upstream', async (_operation, kind, operation) => {
    const up = upstreams.get(kind) as ModelLikeUpstream;
    await operation.run({ up, model: `${kind}/${up.model}`, url: server.url, apiKey, openai });
  });
});
