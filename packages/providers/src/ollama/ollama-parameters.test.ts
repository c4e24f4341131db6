import { type ChatRequest, unsupportedParameter } from '@switchboard/provider-spec';
import { describe, expect, it } from 'vitest';
import { toOllamaChatRequest } from './ollama-chat-request.ts';
import { ollamaChatParameters } from './ollama-parameters.ts';

const tool = (name: string) => ({
  type: 'function' as const,
  function: { name, parameters: { type: 'object' } },
});
const request = (extra: Partial<ChatRequest>): ChatRequest => ({
  model: 'llama3.2',
  messages: [{ role: 'user', content: 'hi' }],
  tools: [tool('get_weather'), tool('get_time')],
  ...extra,
});
const refused = (extra: Record<string, unknown>) =>
  unsupportedParameter({ model: 'm', messages: [], ...extra }, ollamaChatParameters)?.name;

describe('ollama chat parameters', () => {
  it('offers only the named tool for a named tool_choice (Ollama has no tool_choice)', () => {
    const body = toOllamaChatRequest(
      request({ tool_choice: { type: 'function', function: { name: 'get_time' } } }),
      false,
    );
    expect(body.tools?.map((offered) => offered.function.name)).toEqual(['get_time']);
  });

  it('refuses a named tool_choice for a tool that was not offered', () => {
    expect(() =>
      toOllamaChatRequest(request({ tool_choice: { type: 'function', function: { name: 'nope' } } }), false),
    ).toThrow(/unknown tool "nope"/);
  });

  it('sends reasoning_effort as think', () => {
    expect(toOllamaChatRequest(request({ reasoning_effort: 'high' }), false).think).toBe('high');
    expect(toOllamaChatRequest(request({ reasoning_effort: 'none' }), false).think).toBe(false);
    expect(toOllamaChatRequest(request({ reasoning_effort: 'low', think: true }), false).think).toBe(true);
  });

  it("declares what it cannot honour: tool_choice 'required', logprobs", () => {
    expect(refused({ tool_choice: 'required' })).toBe('tool_choice');
    expect(refused({ tool_choice: { type: 'function', function: { name: 'x' } } })).toBeUndefined();
    expect(refused({ tool_choice: 'auto', parallel_tool_calls: true })).toBeUndefined();
    // Emulated: only the answer's first tool call is returned.
    expect(refused({ parallel_tool_calls: false })).toBeUndefined();
    expect(refused({ logprobs: true })).toBe('logprobs');
    expect(
      refused({ keep_alive: '5m', think: false, response_format: { type: 'json_object' } }),
    ).toBeUndefined();
  });
});
