import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { recorded, startUpstreamsFixture, type UpstreamsFixture } from './upstreams-fixture.ts';

// No request parameter is dropped silently: what an adapter cannot send is emulated (Anthropic's
// JSON mode, Ollama's named tool) or refused with 400 unsupported_parameter naming it.

const CLAUDE = 'anthropic/claude-haiku-4-5-20251001';
const OLLAMA = 'ollama/llama3.2';

const jsonToolAnswer = {
  id: 'msg_01JsonMode',
  type: 'message',
  role: 'assistant',
  model: 'claude-haiku-4-5-20251001',
  content: [{ type: 'tool_use', id: 'toolu_01Json', name: 'json', input: { city: 'Paris', temp: 18 } }],
  stop_reason: 'tool_use',
  stop_sequence: null,
  usage: { input_tokens: 40, output_tokens: 12 },
};

const tool = (name: string) => ({
  type: 'function' as const,
  function: { name, parameters: { type: 'object', properties: { city: { type: 'string' } } } },
});

describe('request parameters the provider cannot take as they are', () => {
  let fixture: UpstreamsFixture;

  beforeAll(async () => {
    fixture = await startUpstreamsFixture('sqlite');
  });
  afterAll(() => fixture?.close());
  beforeEach(() => {
    fixture.upstream.requests.length = 0;
  });

  const sent = (path: string) => {
    const request = fixture.upstream.requests.find((candidate) => candidate.path === path);
    if (!request) throw new Error(`nothing reached ${path}`);
    return request.json() as Record<string, unknown>;
  };

  it('response_format json_object reaches Anthropic as a forced json tool: the OpenAI SDK gets JSON', async () => {
    fixture.upstream.route('POST', '/anthropic/v1/messages', { json: jsonToolAnswer });
    const answer = await fixture.openai.chat.completions.create({
      model: CLAUDE,
      messages: [{ role: 'user', content: 'The weather in Paris, as JSON' }],
      response_format: { type: 'json_object' },
    });
    expect(JSON.parse(answer.choices[0]?.message.content ?? '')).toEqual({ city: 'Paris', temp: 18 });
    expect(answer.choices[0]?.finish_reason).toBe('stop');
    expect(sent('/anthropic/v1/messages').tool_choice).toEqual({ type: 'tool', name: 'json' });
  });

  it('a named tool_choice reaches Ollama as that tool alone', async () => {
    fixture.upstream.route('POST', '/api/chat', {
      body: recorded('ollama', 'chat-tools-response.json'),
      headers: { 'content-type': 'application/json' },
    });
    const answer = await fixture.openai.chat.completions.create({
      model: OLLAMA,
      messages: [{ role: 'user', content: 'Weather?' }],
      tools: [tool('get_time'), tool('get_current_weather')],
      tool_choice: { type: 'function', function: { name: 'get_current_weather' } },
    });
    const called = answer.choices[0]?.message.tool_calls?.[0];
    expect(called?.type === 'function' ? called.function.name : undefined).toBe('get_current_weather');
    const offered = sent('/api/chat').tools as { function: { name: string } }[];
    expect(offered.map((offer) => offer.function.name)).toEqual(['get_current_weather']);
  });

  it('refuses what Ollama cannot honour with 400 unsupported_parameter naming it, before any upstream call', async () => {
    const refused = async (extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming>) => {
      const failure = await fixture.openai.chat.completions
        .create({ model: OLLAMA, messages: [{ role: 'user', content: 'hi' }], tools: [tool('a')], ...extra })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
      return failure as InstanceType<typeof OpenAI.BadRequestError>;
    };
    const required = await refused({ tool_choice: 'required' });
    expect(required.code).toBe('unsupported_parameter');
    expect(required.param).toBe('tool_choice');
    expect(required.message).toContain('ollama/llama3.2');
    expect((await refused({ logprobs: true })).param).toBe('logprobs');
    expect(fixture.upstream.requests.filter((request) => request.path === '/api/chat')).toEqual([]);
  });

  it('refuses seed for Anthropic, and n: 1 or user (a no-op, a tag) pass', async () => {
    fixture.upstream.route('POST', '/anthropic/v1/messages', { json: jsonToolAnswer });
    const failure = await fixture.openai.chat.completions
      .create({ model: CLAUDE, messages: [{ role: 'user', content: 'hi' }], seed: 7 })
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ status: 400, code: 'unsupported_parameter', param: 'seed' });
    const answer = await fixture.openai.chat.completions.create({
      model: CLAUDE,
      messages: [{ role: 'user', content: 'hi' }],
      n: 1,
      user: 'user-7',
      response_format: { type: 'json_object' },
    });
    expect(answer.choices).toHaveLength(1);
  });

  it("answers a refusal on /v1/messages in Anthropic's error shape", async () => {
    const anthropic = new Anthropic({ baseURL: fixture.server.url, apiKey: fixture.apiKey, maxRetries: 0 });
    const failure = await anthropic.messages
      .create({
        model: OLLAMA,
        max_tokens: 32,
        tools: [{ name: 'a', input_schema: { type: 'object' } }],
        tool_choice: { type: 'any' },
        messages: [{ role: 'user', content: 'hi' }],
      })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Anthropic.BadRequestError);
    expect((failure as InstanceType<typeof Anthropic.BadRequestError>).message).toContain('tool_choice');
  });
});
