import { type FakeUpstream, fixture, splitBytes, startFakeUpstream } from '@switchboard/test-utils';
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { QuotaExceededError } from '@switchboard/provider-spec';
import { callContext, collect, defineErrorTests, failure } from '../../test/provider-test-kit.ts';
import { createDeepSeekAdapter } from './index.ts';

const KEY = 'sk-test-dsk-fake-0001';
const load = (name: string) => JSON.parse(fixture(import.meta.url, name)) as Record<string, unknown>;
let upstream: FakeUpstream;
let dispatcher: Agent;
const adapter = () => createDeepSeekAdapter({ dispatcher });
const credentials = () => ({ api_key: KEY, base_url: upstream.url });

beforeAll(async () => {
  upstream = await startFakeUpstream();
  dispatcher = new Agent();
});
afterAll(async () => {
  await upstream.close();
  await dispatcher.close();
});
beforeEach(() => upstream.reset());

describe('DeepSeek', () => {
  it('sends max_tokens and returns the completion with its reasoning, bytes untouched', async () => {
    const body = fixture(import.meta.url, 'chat.json');
    upstream.route('POST', '/chat/completions', { headers: { 'content-type': 'application/json' }, body });
    const result = await adapter().chat!(
      {
        model: 'deepseek-reasoner',
        messages: [{ role: 'user', content: 'How many r in strawberry?' }],
        max_completion_tokens: 512,
      },
      callContext(credentials()),
    );
    const sent = upstream.requests[0]!;
    expect(sent.url).toBe('/chat/completions');
    expect(sent.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent.json()).toEqual({
      model: 'deepseek-reasoner',
      messages: [{ role: 'user', content: 'How many r in strawberry?' }],
      max_tokens: 512,
    });
    // DeepSeek pads queued answers with blank lines; they are kept as sent.
    expect(Buffer.from(result.raw!).toString('utf8')).toBe(body);
    expect(result.completion.choices[0]!.message).toEqual({
      role: 'assistant',
      content: 'There are three.',
      reasoning_content: 'We need to count the letters r in strawberry.',
    });
    expect(result.usage).toEqual({
      prompt_tokens: 18,
      completion_tokens: 219,
      total_tokens: 237,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 205 },
    });
  });

  it('streams reasoning deltas and keep-alive comments through, usage on the finish chunk', async () => {
    const sse = fixture(import.meta.url, 'chat-reasoning.sse');
    upstream.route('POST', '/chat/completions', { chunks: splitBytes(sse, 13) });
    const stream = await adapter().chatStream!(
      {
        model: 'deepseek-reasoner',
        messages: [{ role: 'user', content: 'Count' }],
        stream_options: { include_usage: true },
      },
      callContext(credentials()),
    );
    expect((await collect(stream.body)).toString('utf8')).toBe(sse);
    expect(upstream.requests[0]!.json()).toEqual({
      model: 'deepseek-reasoner',
      messages: [{ role: 'user', content: 'Count' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(stream.usage()).toEqual({
      prompt_tokens: 18,
      completion_tokens: 219,
      total_tokens: 237,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 205 },
    });
  });

  it('validates with GET /models and reports an empty balance as quota', async () => {
    upstream.route('GET', '/models', { json: load('models.json') });
    const result = await adapter().validateCredentials(callContext(credentials()));
    expect(upstream.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(result.models?.map((model) => model.id)).toEqual(['deepseek-chat', 'deepseek-reasoner']);
    upstream.route('POST', '/chat/completions', { status: 402, json: load('errors.json')['402'] });
    const error = await failure(
      adapter().chat!(
        { model: 'deepseek-chat', messages: [{ role: 'user', content: 'x' }] },
        callContext(credentials()),
      ),
    );
    expect(error).toBeInstanceOf(QuotaExceededError);
  });

  defineErrorTests({
    upstream: () => upstream,
    adapter,
    impatientAdapter: () => createDeepSeekAdapter({ dispatcher, timeouts: { firstByteMs: 150 } }),
    credentials,
    refusedCredentials: (port) => ({ api_key: KEY, base_url: `http://127.0.0.1:${port}` }),
    chatRoute: ['POST', '/chat/completions'],
    bodies: load('errors.json'),
    secret: KEY,
  });
});
