import Anthropic from '@anthropic-ai/sdk';
import { createCredential, installProvider } from '@switchboard/core';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { recorded, startUpstreamsFixture, type UpstreamsFixture } from './upstreams-fixture.ts';

// Decision 0030: reasoning_effort (and the Responses API's reasoning.effort, the Messages API's
// thinking) reaches Anthropic as extended thinking and Gemini as thinkingConfig, and their
// thinking comes back as the reasoning the gateway gives for every provider; Ollama honours
// parallel_tool_calls: false by returning the answer's first tool call only.

const CLAUDE = 'anthropic/claude-haiku-4-5-20251001';
const GEMINI = 'gemini/gemini-2.5-flash';
const OLLAMA = 'ollama/llama3.2';
const SIGNATURE = 'EqQBCkgIARABGAIiQFakeSignatureForTests';

const claudeAnswer = (content: unknown[], stopReason = 'end_turn') => ({
  id: 'msg_01Thinking',
  type: 'message',
  role: 'assistant',
  model: 'claude-haiku-4-5-20251001',
  content,
  stop_reason: stopReason,
  stop_sequence: null,
  usage: { input_tokens: 30, output_tokens: 80 },
});
const thought = {
  type: 'thinking',
  thinking: 'Paris is in France; check the weather.',
  signature: SIGNATURE,
};

const weatherTool = {
  type: 'function' as const,
  function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
};

/** An SSE body in Anthropic's framing (named events). */
const anthropicSse = (events: Record<string, unknown>[]) =>
  events.map((event) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`).join('');

/** An SSE body in Gemini's framing (data lines only). */
const geminiSse = (chunks: unknown[]) =>
  chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\r\n\r\n`).join('');

/** An NDJSON body in Ollama's framing. */
const ndjson = (lines: unknown[]) => lines.map((line) => `${JSON.stringify(line)}\n`).join('');

type WithReasoning = { reasoning_content?: string; thinking_blocks?: unknown[] };

/** The reasoning and the text a chat completions stream carried, each joined. */
async function readReasoning(
  stream: AsyncIterable<OpenAI.ChatCompletionChunk>,
): Promise<{ reasoning: string; text: string }> {
  let reasoning = '';
  let text = '';
  for await (const chunk of stream) {
    const delta = chunk.choices[0]?.delta as
      | (OpenAI.ChatCompletionChunk.Choice.Delta & WithReasoning)
      | undefined;
    reasoning += delta?.reasoning_content ?? '';
    text += delta?.content ?? '';
  }
  return { reasoning, text };
}

describe('reasoning_effort and parallel_tool_calls: false, emulated per provider', () => {
  let fixture: UpstreamsFixture;

  beforeAll(async () => {
    fixture = await startUpstreamsFixture('sqlite');
    fixture.upstream.route('GET', '/gemini/v1beta/models', {
      body: recorded('gemini', 'models.json'),
      headers: { 'content-type': 'application/json' },
    });
    await installProvider(fixture.server.core, fixture.actor, {
      workspaceId: fixture.workspaceId,
      provider: 'gemini',
    });
    await createCredential(fixture.server.core, fixture.actor, {
      workspaceId: fixture.workspaceId,
      provider: 'gemini',
      name: 'gemini-main',
      values: { api_key: 'test-gemini-key-reasoning-0001', base_url: `${fixture.upstream.url}/gemini` },
    });
  });
  afterAll(() => fixture?.close());
  beforeEach(() => {
    fixture.upstream.requests.length = 0;
  });

  const sentAll = (path: string) =>
    fixture.upstream.requests
      .filter((candidate) => candidate.path === path)
      .map((request) => request.json() as Record<string, unknown>);
  const sent = (path: string) => {
    const request = sentAll(path).at(-1);
    if (!request) throw new Error(`nothing reached ${path}`);
    return request;
  };
  const refusal = async (promise: Promise<unknown>) => {
    const failure = await promise.catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
    return failure as InstanceType<typeof OpenAI.BadRequestError>;
  };

  describe('Anthropic', () => {
    it('sends reasoning_effort as a thinking budget and returns the thinking as reasoning_content (OpenAI SDK)', async () => {
      fixture.upstream.route('POST', '/anthropic/v1/messages', {
        json: claudeAnswer([thought, { type: 'text', text: 'Mild, 18°C.' }]),
      });
      const answer = await fixture.openai.chat.completions.create({
        model: CLAUDE,
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
        reasoning_effort: 'medium',
      });
      const body = sent('/anthropic/v1/messages');
      // No max_tokens from the client: the model's own output limit, the budget below it.
      expect(body.thinking).toEqual({ type: 'enabled', budget_tokens: 8192 });
      expect(body.max_tokens).toBe(64_000);
      const message = answer.choices[0]?.message as OpenAI.ChatCompletionMessage & WithReasoning;
      expect(message.content).toBe('Mild, 18°C.');
      expect(message.reasoning_content).toBe(thought.thinking);
      expect(message.thinking_blocks).toEqual([thought]);
    });

    it('fits the budget under a small max_tokens, and thinks not at all for none', async () => {
      fixture.upstream.route('POST', '/anthropic/v1/messages', {
        json: claudeAnswer([{ type: 'text', text: 'ok' }]),
      });
      await fixture.openai.chat.completions.create({
        model: CLAUDE,
        messages: [{ role: 'user', content: 'hi' }],
        reasoning_effort: 'high',
        max_completion_tokens: 4000,
      });
      expect(sent('/anthropic/v1/messages')).toMatchObject({
        max_tokens: 4000,
        thinking: { type: 'enabled', budget_tokens: 2000 },
      });
      await fixture.openai.chat.completions.create({
        model: CLAUDE,
        messages: [{ role: 'user', content: 'hi' }],
        reasoning_effort: 'none',
        temperature: 0.2,
      });
      const plain = sent('/anthropic/v1/messages');
      expect(plain.thinking).toBeUndefined();
      expect(plain.temperature).toBe(0.2);
    });

    it('keeps thinking through a tool turn when the message comes back with its thinking_blocks, and goes without when it does not', async () => {
      fixture.upstream.route('POST', '/anthropic/v1/messages', {
        json: claudeAnswer(
          [thought, { type: 'tool_use', id: 'toolu_01W', name: 'get_weather', input: { city: 'Paris' } }],
          'tool_use',
        ),
      });
      const question: OpenAI.ChatCompletionMessageParam = { role: 'user', content: 'Weather in Paris?' };
      const first = await fixture.openai.chat.completions.create({
        model: CLAUDE,
        messages: [question],
        tools: [weatherTool],
        reasoning_effort: 'low',
      });
      const assistant = first.choices[0]?.message as OpenAI.ChatCompletionMessage & WithReasoning;
      expect(assistant.tool_calls?.[0]?.id).toBe('toolu_01W');
      fixture.upstream.route('POST', '/anthropic/v1/messages', {
        json: claudeAnswer([{ type: 'text', text: 'Mild, 18°C.' }]),
      });
      const result: OpenAI.ChatCompletionMessageParam = {
        role: 'tool',
        tool_call_id: 'toolu_01W',
        content: '18°C',
      };
      // The common loop: the answer's message pushed back as it came, thinking_blocks and all.
      await fixture.openai.chat.completions.create({
        model: CLAUDE,
        messages: [question, assistant as OpenAI.ChatCompletionMessageParam, result],
        tools: [weatherTool],
        reasoning_effort: 'low',
      });
      const replayed = sent('/anthropic/v1/messages');
      expect(replayed.thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
      const turns = replayed.messages as { role: string; content: { type: string }[] }[];
      expect(turns[1]?.content).toEqual([
        thought,
        { type: 'tool_use', id: 'toolu_01W', name: 'get_weather', input: { city: 'Paris' } },
      ]);
      // A client that keeps only content and tool_calls: the turn goes on without thinking,
      // which Anthropic accepts (it refuses thinking when the turn's thinking block is missing).
      const { thinking_blocks: _dropped, reasoning_content: _reasoning, ...bare } = assistant;
      await fixture.openai.chat.completions.create({
        model: CLAUDE,
        messages: [question, bare as OpenAI.ChatCompletionMessageParam, result],
        tools: [weatherTool],
        reasoning_effort: 'low',
      });
      const continued = sent('/anthropic/v1/messages');
      expect(continued.thinking).toBeUndefined();
      expect((continued.messages as { content: { type: string }[] }[])[1]?.content[0]?.type).toBe('tool_use');
    });

    it('streams the thinking as reasoning_content deltas, and its blocks so the final message can be sent back', async () => {
      fixture.upstream.route('POST', '/anthropic/v1/messages', {
        headers: { 'content-type': 'text/event-stream' },
        body: anthropicSse([
          {
            type: 'message_start',
            message: {
              ...claudeAnswer([]),
              stop_reason: null,
              usage: { input_tokens: 30, output_tokens: 1 },
            },
          },
          {
            type: 'content_block_start',
            index: 0,
            content_block: { type: 'thinking', thinking: '', signature: '' },
          },
          { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Paris is ' } },
          {
            type: 'content_block_delta',
            index: 0,
            delta: { type: 'thinking_delta', thinking: 'in France.' },
          },
          { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: SIGNATURE } },
          { type: 'content_block_stop', index: 0 },
          { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
          { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Mild.' } },
          { type: 'content_block_stop', index: 1 },
          { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 40 } },
          { type: 'message_stop' },
        ]),
      });
      // The SDK's stream helper, which assembles the final message from the deltas.
      const stream = fixture.openai.chat.completions.stream({
        model: CLAUDE,
        messages: [{ role: 'user', content: 'Weather?' }],
        reasoning_effort: 'minimal',
      });
      const { reasoning, text } = await readReasoning(stream);
      expect(reasoning).toBe('Paris is in France.');
      expect(text).toBe('Mild.');
      const final = (await stream.finalMessage()) as OpenAI.ChatCompletionMessage & WithReasoning;
      expect(final.thinking_blocks).toEqual([
        { type: 'thinking', thinking: 'Paris is in France.', signature: SIGNATURE },
      ]);
      expect(sent('/anthropic/v1/messages').thinking).toEqual({ type: 'enabled', budget_tokens: 1024 });
    });

    it('answers reasoning.effort on /v1/responses with a reasoning item', async () => {
      fixture.upstream.route('POST', '/anthropic/v1/messages', {
        json: claudeAnswer([thought, { type: 'text', text: 'Mild, 18°C.' }]),
      });
      const response = await fixture.openai.responses.create({
        model: CLAUDE,
        input: 'Weather in Paris?',
        reasoning: { effort: 'high' },
        store: false,
      });
      expect(sent('/anthropic/v1/messages').thinking).toEqual({ type: 'enabled', budget_tokens: 16_384 });
      const reasoning = response.output.find((item) => item.type === 'reasoning');
      expect(reasoning?.type === 'reasoning' ? reasoning.summary[0]?.text : undefined).toBe(thought.thinking);
      expect(response.output_text).toBe('Mild, 18°C.');
    });

    it('refuses, naming the field, what extended thinking cannot be combined with, before any call', async () => {
      const create = (extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming>) =>
        fixture.openai.chat.completions.create({
          model: CLAUDE,
          messages: [{ role: 'user', content: 'hi' }],
          reasoning_effort: 'low',
          ...extra,
        });
      const temperature = await refusal(create({ temperature: 0.3 }));
      expect(temperature.code).toBe('unsupported_parameter');
      expect(temperature.param).toBe('temperature');
      expect(temperature.message).toContain('reasoning_effort');
      expect((await refusal(create({ top_p: 0.5 }))).param).toBe('top_p');
      expect((await refusal(create({ tools: [weatherTool], tool_choice: 'required' }))).param).toBe(
        'tool_choice',
      );
      expect((await refusal(create({ response_format: { type: 'json_object' } }))).param).toBe(
        'response_format',
      );
      const small = await refusal(create({ max_tokens: 1000 }));
      expect(small.param).toBe('max_tokens');
      expect(small.message).toContain('1024');
      const unknown = await refusal(create({ reasoning_effort: 'extreme' as 'low' }));
      expect(unknown.code).toBe('unsupported_parameter');
      expect(unknown.param).toBe('reasoning_effort');
      expect(sentAll('/anthropic/v1/messages')).toEqual([]);
      // temperature 1 is the value thinking takes: it passes.
      fixture.upstream.route('POST', '/anthropic/v1/messages', {
        json: claudeAnswer([{ type: 'text', text: 'ok' }]),
      });
      await create({ temperature: 1 });
      expect(sent('/anthropic/v1/messages').thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
    });
  });

  describe('Gemini', () => {
    const generate = '/gemini/v1beta/models/gemini-2.5-flash:generateContent';
    const streamPath = '/gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent';
    const geminiAnswer = {
      candidates: [
        {
          content: {
            role: 'model',
            parts: [
              { text: 'Rayleigh scattering, briefly.', thought: true },
              { text: 'Blue light scatters most.' },
            ],
          },
          finishReason: 'STOP',
          index: 0,
        },
      ],
      usageMetadata: {
        promptTokenCount: 9,
        candidatesTokenCount: 5,
        thoughtsTokenCount: 20,
        totalTokenCount: 34,
      },
      modelVersion: 'gemini-2.5-flash',
      responseId: 'gemini-reasoning-1',
    };

    it('sends reasoning_effort as thinkingConfig with thoughts included, and returns them as reasoning_content', async () => {
      fixture.upstream.route('POST', generate, { json: geminiAnswer });
      const answer = await fixture.openai.chat.completions.create({
        model: GEMINI,
        messages: [{ role: 'user', content: 'Why is the sky blue?' }],
        reasoning_effort: 'low',
      });
      expect((sent(generate).generationConfig as Record<string, unknown>).thinkingConfig).toEqual({
        thinkingBudget: 2048,
        includeThoughts: true,
      });
      const message = answer.choices[0]?.message as OpenAI.ChatCompletionMessage & WithReasoning;
      expect(message.content).toBe('Blue light scatters most.');
      expect(message.reasoning_content).toBe('Rayleigh scattering, briefly.');
      expect(answer.usage?.completion_tokens_details?.reasoning_tokens).toBe(20);

      await fixture.openai.chat.completions.create({
        model: GEMINI,
        messages: [{ role: 'user', content: 'Why is the sky blue?' }],
        reasoning_effort: 'none',
      });
      expect((sent(generate).generationConfig as Record<string, unknown>).thinkingConfig).toEqual({
        thinkingBudget: 0,
      });
    });

    it('streams thought summaries as reasoning_content deltas', async () => {
      fixture.upstream.route('POST', streamPath, {
        headers: { 'content-type': 'text/event-stream' },
        body: geminiSse([
          {
            candidates: [
              {
                content: { role: 'model', parts: [{ text: 'Thinking about light.', thought: true }] },
                index: 0,
              },
            ],
            responseId: 'gemini-reasoning-2',
          },
          {
            candidates: [
              {
                content: { role: 'model', parts: [{ text: 'Scattering.' }] },
                finishReason: 'STOP',
                index: 0,
              },
            ],
            usageMetadata: {
              promptTokenCount: 9,
              candidatesTokenCount: 2,
              thoughtsTokenCount: 12,
              totalTokenCount: 23,
            },
            responseId: 'gemini-reasoning-2',
          },
        ]),
      });
      const stream = await fixture.openai.chat.completions.create({
        model: GEMINI,
        messages: [{ role: 'user', content: 'Why is the sky blue?' }],
        reasoning_effort: 'xhigh',
        stream: true,
      });
      const { reasoning, text } = await readReasoning(stream);
      expect(reasoning).toBe('Thinking about light.');
      expect(text).toBe('Scattering.');
      expect((sent(streamPath).generationConfig as Record<string, unknown>).thinkingConfig).toEqual({
        thinkingBudget: 24_576,
        includeThoughts: true,
      });
    });

    it("takes the Messages API's thinking on /v1/messages and answers with a thinking block (Anthropic SDK)", async () => {
      fixture.upstream.route('POST', generate, { json: geminiAnswer });
      const anthropic = new Anthropic({ baseURL: fixture.server.url, apiKey: fixture.apiKey, maxRetries: 0 });
      const message = await anthropic.messages.create({
        model: GEMINI,
        max_tokens: 20_000,
        thinking: { type: 'enabled', budget_tokens: 5000 },
        messages: [{ role: 'user', content: 'Why is the sky blue?' }],
      });
      // The Messages request's budget picks an effort (medium), which the table turns back into a budget.
      expect((sent(generate).generationConfig as Record<string, unknown>).thinkingConfig).toEqual({
        thinkingBudget: 8192,
        includeThoughts: true,
      });
      expect(message.content[0]).toMatchObject({
        type: 'thinking',
        thinking: 'Rayleigh scattering, briefly.',
      });
      expect(message.content[1]).toMatchObject({ type: 'text', text: 'Blue light scatters most.' });
    });
  });

  describe('Ollama parallel_tool_calls: false', () => {
    const call = (name: string, city: string) => ({ function: { name, arguments: { city } } });
    const base = { model: 'llama3.2', created_at: '2026-12-07T12:00:00Z' };

    it('returns only the first tool call of a whole answer', async () => {
      fixture.upstream.route('POST', '/api/chat', {
        json: {
          ...base,
          message: {
            role: 'assistant',
            content: '',
            tool_calls: [call('get_weather', 'Paris'), call('get_weather', 'Oslo')],
          },
          done: true,
          done_reason: 'stop',
          prompt_eval_count: 20,
          eval_count: 10,
        },
      });
      const answer = await fixture.openai.chat.completions.create({
        model: OLLAMA,
        messages: [{ role: 'user', content: 'Weather in Paris and Oslo?' }],
        tools: [weatherTool],
        parallel_tool_calls: false,
      });
      const calls = answer.choices[0]?.message.tool_calls ?? [];
      expect(calls).toHaveLength(1);
      expect(calls[0]?.type === 'function' ? JSON.parse(calls[0].function.arguments) : undefined).toEqual({
        city: 'Paris',
      });
      expect(answer.choices[0]?.finish_reason).toBe('tool_calls');
      // Ollama has no such switch: the request goes as it would without it.
      expect(sent('/api/chat')).not.toHaveProperty('parallel_tool_calls');
    });

    it('streams only the first tool call, whether the calls come on one line or several', async () => {
      fixture.upstream.route('POST', '/api/chat', {
        headers: { 'content-type': 'application/x-ndjson' },
        body: ndjson([
          {
            ...base,
            message: {
              role: 'assistant',
              content: '',
              tool_calls: [call('get_weather', 'Paris'), call('get_weather', 'Oslo')],
            },
            done: false,
          },
          {
            ...base,
            message: { role: 'assistant', content: '', tool_calls: [call('get_weather', 'Rome')] },
            done: false,
          },
          {
            ...base,
            message: { role: 'assistant', content: '' },
            done: true,
            done_reason: 'stop',
            prompt_eval_count: 20,
            eval_count: 10,
          },
        ]),
      });
      const stream = await fixture.openai.chat.completions.create({
        model: OLLAMA,
        messages: [{ role: 'user', content: 'Weather in Paris, Oslo and Rome?' }],
        tools: [weatherTool],
        parallel_tool_calls: false,
        stream: true,
      });
      const calls: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
      let finish: string | null | undefined;
      for await (const chunk of stream) {
        calls.push(...(chunk.choices[0]?.delta.tool_calls ?? []));
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      expect(calls.map((delta) => [delta.index, delta.function?.arguments])).toEqual([
        [0, '{"city":"Paris"}'],
      ]);
      expect(finish).toBe('tool_calls');

      // Without the flag every call is passed on.
      const all = await fixture.openai.chat.completions.create({
        model: OLLAMA,
        messages: [{ role: 'user', content: 'Weather in Paris, Oslo and Rome?' }],
        tools: [weatherTool],
        stream: true,
      });
      let count = 0;
      for await (const chunk of all) count += chunk.choices[0]?.delta.tool_calls?.length ?? 0;
      expect(count).toBe(3);
    });
  });
});
