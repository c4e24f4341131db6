import { type FakeUpstream, fixture, splitBytes, startFakeUpstream } from '@switchboard/test-utils';
import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type CallContext,
  type ChatCompletionChunk,
  type ChatRequest,
  unsupportedParameter,
} from '@switchboard/provider-spec';
import { readAll } from '../../test/provider-test-kit.ts';
import { createAnthropicAdapter } from './index.ts';

// response_format json_object has no field in the Messages API: the adapter forces a `json` tool
// whose input is the answer, and gives that input back as the message's text.

const load = (name: string) => fixture(import.meta.url, name);
let upstream: FakeUpstream;
let dispatcher: Agent;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  dispatcher = new Agent({ keepAliveTimeout: 1_000 });
});
afterEach(() => upstream.reset());
afterAll(async () => {
  await dispatcher.close();
  await upstream.close();
});

const adapter = () => createAnthropicAdapter({ dispatcher, timeouts: { firstByteMs: 2_000, idleMs: 2_000 } });
const call = (): CallContext => ({
  credentials: { api_key: 'sk-ant-test-fake-json', base_url: upstream.url },
  signal: new AbortController().signal,
});
const sentBody = () => upstream.requests[0]?.json() as Record<string, unknown>;

const weatherTool = {
  type: 'function' as const,
  function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
};

const request = (extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'claude-haiku-4-5-20251001',
  messages: [{ role: 'user', content: 'The weather in Paris as JSON' }],
  response_format: { type: 'json_object' },
  ...extra,
});

const jsonAnswer = {
  id: 'msg_01JsonMode',
  type: 'message',
  role: 'assistant',
  model: 'claude-haiku-4-5-20251001',
  content: [{ type: 'tool_use', id: 'toolu_01JsonTool', name: 'json', input: { city: 'Paris', temp: 18 } }],
  stop_reason: 'tool_use',
  stop_sequence: null,
  usage: { input_tokens: 420, output_tokens: 31 },
};

describe('anthropic JSON mode (response_format json_object)', () => {
  it('forces the json tool and answers its input as the message text, finish_reason stop', async () => {
    upstream.route('POST', '/v1/messages', { json: jsonAnswer });
    const result = await adapter().chat?.(request(), call());
    expect(sentBody().tools).toEqual([
      {
        name: 'json',
        description: 'Give the answer as a JSON object: its input is the whole answer.',
        input_schema: { type: 'object' },
      },
    ]);
    expect(sentBody().tool_choice).toEqual({ type: 'tool', name: 'json' });
    const choice = result?.completion.choices[0];
    expect(JSON.parse(choice?.message.content ?? '')).toEqual({ city: 'Paris', temp: 18 });
    expect(choice?.message.tool_calls).toBeUndefined();
    expect(choice?.finish_reason).toBe('stop');
  });

  it("keeps the client's tools callable: the model must call one of them or answer in JSON", async () => {
    upstream.route('POST', '/v1/messages', { json: jsonAnswer });
    await adapter().chat?.(request({ tools: [weatherTool], parallel_tool_calls: false }), call());
    expect((sentBody().tools as { name: string }[]).map((tool) => tool.name)).toEqual([
      'get_weather',
      'json',
    ]);
    expect(sentBody().tool_choice).toEqual({ type: 'any', disable_parallel_tool_use: true });
  });

  it("withdraws the client's tools when tool_choice is none", async () => {
    upstream.route('POST', '/v1/messages', { json: jsonAnswer });
    await adapter().chat?.(request({ tools: [weatherTool], tool_choice: 'none' }), call());
    expect((sentBody().tools as { name: string }[]).map((tool) => tool.name)).toEqual(['json']);
    expect(sentBody().tool_choice).toEqual({ type: 'tool', name: 'json' });
  });

  it('streams the json tool input as content deltas and ends with stop', async () => {
    upstream.route('POST', '/v1/messages', { chunks: splitBytes(load('stream-json-tool.sse'), 11) });
    const stream = await adapter().chatStream?.(request({ stream: true }), call());
    if (!stream) throw new Error('chatStream missing');
    const chunks = (await readAll(stream.body))
      .split('\n\n')
      .filter((part) => part.startsWith('data: {'))
      .map((part) => JSON.parse(part.slice(6)) as ChatCompletionChunk);
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    expect(JSON.parse(text)).toEqual({ city: 'Paris', temp: 18 });
    expect(chunks.some((chunk) => chunk.choices[0]?.delta.tool_calls)).toBe(false);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
  });

  it('declares every chat parameter: unknown and unhonourable ones are named, defaults pass', () => {
    const declared = adapter().chatParameters;
    if (!declared) throw new Error('no declaration');
    const check = (extra: Record<string, unknown>) =>
      unsupportedParameter({ model: 'm', messages: [], stream: true, ...extra }, declared)?.name;
    expect(
      check({ response_format: { type: 'json_object' }, n: 1, logprobs: false, user: 'u1' }),
    ).toBeUndefined();
    expect(check({ seed: 7 })).toBe('seed');
    expect(check({ n: 2 })).toBe('n');
    expect(check({ logit_bias: { '50256': -100 } })).toBe('logit_bias');
    expect(check({ reasoning_effort: 'high' })).toBeUndefined();
    expect(check({ reasoning_effort: 'extreme' })).toBe('reasoning_effort');
    expect(check({ some_new_field: true })).toBe('some_new_field');
    expect(check({ presence_penalty: 0, frequency_penalty: null })).toBeUndefined();
  });
});
