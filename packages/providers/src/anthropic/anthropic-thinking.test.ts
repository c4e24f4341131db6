import { BadRequestError, type ChatRequest, UnsupportedError } from '@switchboard/provider-spec';
import { describe, expect, it } from 'vitest';
import { toAnthropicRequest } from './anthropic-request.ts';

// reasoning_effort as extended thinking (decision 0030): the body's fields, fitted and checked.

const request = (extra: Partial<ChatRequest>): ChatRequest => ({
  model: 'claude-haiku-4-5-20251001',
  messages: [{ role: 'user', content: 'hi' }],
  ...extra,
});
const toolTurn = (thinkingBlocks?: unknown): ChatRequest['messages'] => [
  { role: 'user', content: 'Weather?' },
  {
    role: 'assistant',
    content: null,
    tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'weather', arguments: '{}' } }],
    ...(thinkingBlocks === undefined ? {} : { thinking_blocks: thinkingBlocks }),
  },
  { role: 'tool', tool_call_id: 'toolu_1', content: '18°C' },
];

describe('anthropic thinking from reasoning_effort', () => {
  it('takes the budget from the table, under the model output limit or the client max_tokens', () => {
    expect(toAnthropicRequest(request({ reasoning_effort: 'xhigh' }), false)).toMatchObject({
      max_tokens: 64_000,
      thinking: { type: 'enabled', budget_tokens: 24_576 },
    });
    // A budget that does not fit below max_tokens becomes half of it, never below 1024.
    expect(
      toAnthropicRequest(request({ reasoning_effort: 'low', max_tokens: 2048 }), false).thinking,
    ).toEqual({
      type: 'enabled',
      budget_tokens: 1024,
    });
    expect(
      toAnthropicRequest(request({ reasoning_effort: 'low', max_tokens: 2049 }), false).thinking,
    ).toEqual({
      type: 'enabled',
      budget_tokens: 2048,
    });
    expect(() =>
      toAnthropicRequest(request({ reasoning_effort: 'low', max_completion_tokens: 1024 }), false),
    ).toThrow(expect.objectContaining({ field: 'max_completion_tokens' }));
    expect(toAnthropicRequest(request({ reasoning_effort: 'none' }), false).thinking).toBeUndefined();
  });

  it('replays thinking_blocks first in the assistant turn only when the call thinks', () => {
    const blocks = [
      { type: 'thinking', thinking: 'hmm', signature: 'sig-1' },
      { type: 'redacted_thinking', data: 'opaque' },
    ];
    const thinking = toAnthropicRequest(
      request({ messages: toolTurn(blocks), reasoning_effort: 'low' }),
      false,
    );
    expect(thinking.messages[1]?.content).toEqual([
      ...blocks,
      { type: 'tool_use', id: 'toolu_1', name: 'weather', input: {} },
    ]);
    const plain = toAnthropicRequest(request({ messages: toolTurn(blocks) }), false);
    expect(plain.messages[1]?.content).toEqual([
      { type: 'tool_use', id: 'toolu_1', name: 'weather', input: {} },
    ]);
  });

  it('continues a tool turn without its thinking blocks without thinking', () => {
    const body = toAnthropicRequest(request({ messages: toolTurn(), reasoning_effort: 'high' }), false);
    expect(body.thinking).toBeUndefined();
  });

  it('refuses malformed thinking_blocks and settings thinking cannot take', () => {
    const malformed = () =>
      toAnthropicRequest(
        request({ messages: toolTurn([{ type: 'thinking', thinking: 'x' }]), reasoning_effort: 'low' }),
        false,
      );
    expect(malformed).toThrow(BadRequestError);
    const refusedField = (extra: Partial<ChatRequest>) => {
      try {
        toAnthropicRequest(request({ reasoning_effort: 'low', ...extra }), false);
      } catch (error) {
        expect(error).toBeInstanceOf(UnsupportedError);
        return (error as UnsupportedError).field;
      }
      return undefined;
    };
    expect(refusedField({ temperature: 0 })).toBe('temperature');
    expect(refusedField({ top_p: 0.9 })).toBe('top_p');
    expect(refusedField({ top_p: 0.95, temperature: 1 })).toBeUndefined();
    expect(refusedField({ tool_choice: { type: 'function', function: { name: 'x' } } })).toBe('tool_choice');
    expect(refusedField({ response_format: { type: 'json_object' } })).toBe('response_format');
    expect(
      refusedField({
        response_format: { type: 'json_schema', json_schema: { name: 'a', schema: { type: 'object' } } },
      }),
    ).toBeUndefined();
  });
});
