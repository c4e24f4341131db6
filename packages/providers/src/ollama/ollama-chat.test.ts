import { type FakeUpstream, fixture, startFakeUpstream } from '@switchboard/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BadRequestError, type ProviderAdapter } from '@switchboard/provider-spec';
import { contextFor, failure, isolatedAdapter } from '../../test/provider-test-kit.ts';
import { createOllamaAdapter } from './index.ts';

const json = (name: string) => JSON.parse(fixture(import.meta.url, name)) as unknown;

describe('ollama chat (non-streaming)', () => {
  let upstream: FakeUpstream;
  let adapter: ProviderAdapter;
  let close: () => Promise<void>;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    ({ adapter, close } = isolatedAdapter(createOllamaAdapter));
  });
  afterEach(() => upstream.reset());
  afterAll(async () => {
    await close();
    await upstream.close();
  });

  it('sends the native /api/chat request and returns a canonical completion with usage', async () => {
    upstream.route('POST', '/api/chat', { json: json('chat-response.json') });
    const result = await adapter.chat!(
      {
        model: 'llama3.2',
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: [{ type: 'text', text: 'Hello!' }] },
        ],
        temperature: 0,
        top_p: 0.9,
        max_tokens: 100,
        stop: 'user:',
        seed: 101,
      },
      contextFor(upstream),
    );

    const [request] = upstream.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/api/chat');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.json()).toEqual({
      model: 'llama3.2',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Hello!' },
      ],
      stream: false,
      options: { temperature: 0, top_p: 0.9, num_predict: 100, stop: ['user:'], seed: 101 },
    });

    expect(result.completion.id).toMatch(/^chatcmpl-[0-9a-f]{24}$/);
    expect({ ...result.completion, id: 'ID' }).toEqual({
      id: 'ID',
      object: 'chat.completion',
      created: 1702390423,
      model: 'llama3.2',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hello! How are you today?' },
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 26, completion_tokens: 298, total_tokens: 324 },
    });
    expect(result.usage).toEqual({ prompt_tokens: 26, completion_tokens: 298, total_tokens: 324 });
  });

  it('translates tools, tool calls, tool results, images and structured output', async () => {
    upstream.route('POST', '/api/chat', { json: json('chat-tools-response.json') });
    const result = await adapter.chat!(
      {
        model: 'llama3.2',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is the weather today in Paris?' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            ],
          },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'call_1',
                type: 'function',
                function: { name: 'get_current_weather', arguments: '{"location":"Lyon"}' },
              },
            ],
          },
          { role: 'tool', tool_call_id: 'call_1', content: '11 degrees' },
        ],
        tools: [
          {
            type: 'function',
            function: {
              name: 'get_current_weather',
              description: 'Get the current weather for a location',
              parameters: {
                type: 'object',
                properties: { location: { type: 'string' } },
                required: ['location'],
              },
              strict: true,
            },
          },
        ],
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'weather',
            schema: { type: 'object', properties: { age: { type: 'integer' } } },
          },
        },
        max_completion_tokens: 50,
      },
      contextFor(upstream, { api_key: 'sk-test-ollama-proxy-0001' }),
    );

    const request = upstream.requests[0];
    expect(request?.headers.authorization).toBe('Bearer sk-test-ollama-proxy-0001');
    expect(request?.json()).toEqual({
      model: 'llama3.2',
      messages: [
        { role: 'user', content: 'What is the weather today in Paris?', images: ['iVBORw0KGgo='] },
        {
          role: 'assistant',
          content: '',
          tool_calls: [
            {
              id: 'call_1',
              function: { index: 0, name: 'get_current_weather', arguments: { location: 'Lyon' } },
            },
          ],
        },
        { role: 'tool', content: '11 degrees', tool_call_id: 'call_1', tool_name: 'get_current_weather' },
      ],
      stream: false,
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_current_weather',
            description: 'Get the current weather for a location',
            parameters: {
              type: 'object',
              properties: { location: { type: 'string' } },
              required: ['location'],
            },
          },
        },
      ],
      format: { type: 'object', properties: { age: { type: 'integer' } } },
      options: { num_predict: 50 },
    });

    const choice = result.completion.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    expect(choice.message.tool_calls).toHaveLength(1);
    const call = choice.message.tool_calls![0]!;
    // Ollama before v0.12 sends no id: one is made up so that the tool result can name it.
    expect(call.id).toMatch(/^call_[0-9a-f]{24}$/);
    expect({ ...call, id: 'ID' }).toEqual({
      id: 'ID',
      type: 'function',
      function: { name: 'get_current_weather', arguments: '{"format":"celsius","location":"Paris, FR"}' },
    });
    expect(result.usage).toEqual({ prompt_tokens: 122, completion_tokens: 33, total_tokens: 155 });
  });

  it('sends format "json" for json_object, leaves tools out for tool_choice none, and maps length', async () => {
    upstream.route('POST', '/api/chat', { json: json('chat-length-response.json') });
    const result = await adapter.chat!(
      {
        model: 'llama3.2',
        messages: [{ role: 'developer', content: 'Answer in JSON.' }],
        response_format: { type: 'json_object' },
        tools: [{ type: 'function', function: { name: 'noop' } }],
        tool_choice: 'none',
        stop: ['\n', 'user:'],
        presence_penalty: 1.5,
        frequency_penalty: 1,
        keep_alive: '10m',
      },
      contextFor(upstream),
    );
    expect(upstream.requests[0]?.json()).toEqual({
      model: 'llama3.2',
      messages: [{ role: 'system', content: 'Answer in JSON.' }],
      stream: false,
      format: 'json',
      options: { stop: ['\n', 'user:'], presence_penalty: 1.5, frequency_penalty: 1 },
      keep_alive: '10m',
    });
    expect(result.completion.choices[0]?.finish_reason).toBe('length');
    expect(result.completion.choices[0]?.message.content).toBe('The sky is blue because');
  });

  it('refuses what Ollama cannot take before calling it', async () => {
    const linked = await failure(
      adapter.chat!(
        {
          model: 'llava',
          messages: [
            {
              role: 'user',
              content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }],
            },
          ],
        },
        contextFor(upstream),
      ),
    );
    expect(linked).toBeInstanceOf(BadRequestError);
    expect(linked).toMatchObject({ code: 'bad_request', field: 'messages', provider: 'ollama' });

    const badArguments = await failure(
      adapter.chat!(
        {
          model: 'llama3.2',
          messages: [
            {
              role: 'assistant',
              tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '[1,' } }],
            },
          ],
        },
        contextFor(upstream),
      ),
    );
    expect(badArguments).toMatchObject({ code: 'bad_request', field: 'messages' });

    const many = await failure(
      adapter.chat!(
        { model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }], n: 3 },
        contextFor(upstream),
      ),
    );
    expect(many).toMatchObject({ code: 'bad_request', field: 'n' });
    expect(upstream.requests).toHaveLength(0);
  });
});
