import { describe, expect, it } from 'vitest';
import { topLevelMember, UNREAD } from './top-level-member.ts';

const bytes = (text: string) => new TextEncoder().encode(text);
const read = (text: string) => topLevelMember(bytes(text), 'usage');

describe('topLevelMember', () => {
  it('reads the last member of an Anthropic message', () => {
    const message = {
      id: 'msg_01',
      type: 'message',
      content: [{ type: 'text', text: 'Hi' }],
      stop_reason: 'end_turn',
      usage: { input_tokens: 12, output_tokens: 3, cache_read_input_tokens: 0 },
    };
    expect(read(JSON.stringify(message))).toEqual(message.usage);
  });

  it('reads a member followed by others, nested objects and arrays among them', () => {
    const response = {
      id: 'resp_1',
      output: [{ type: 'message', content: [{ type: 'output_text', text: 'a } ] {' }] }],
      usage: { input_tokens: 5, output_tokens: 7, output_tokens_details: { reasoning_tokens: 0 } },
      user: null,
      metadata: { a: [1, { b: '"usage": 9' }] },
      text: { format: { type: 'text' } },
    };
    expect(read(JSON.stringify(response))).toEqual(response.usage);
    expect(read(JSON.stringify(response, null, 2))).toEqual(response.usage);
  });

  it('is undefined when the document has no such member anywhere, or it is null', () => {
    expect(read('{"id":"x","content":[]}')).toBeUndefined();
    expect(read('{"usage":null}')).toBeNull();
    expect(read('{"usage": 3 }')).toBe(3);
  });

  it('leaves a nested last occurrence to a whole parse', () => {
    expect(read('{"usage":{"a":1},"tool":{"input":{"usage":{"b":2}}}}')).toBe(UNREAD);
    expect(read('{"a":{"usage":1}}')).toBe(UNREAD);
    expect(read('[{"usage":1}]')).toBe(UNREAD);
  });

  it('is not misled by the name inside strings or as a value', () => {
    // The name escaped inside a string that comes after the real member.
    const text = JSON.stringify({ usage: { input_tokens: 1 }, note: 'said "usage": {"x":1}' });
    expect(read(text)).toEqual({ input_tokens: 1 });
    // A string ending in an escaped backslash, right before the member.
    expect(read('{"path":"C:\\\\","usage":{"n":2}}')).toEqual({ n: 2 });
    // As an array's value: not a member.
    expect(read('{"usage":{"n":1},"tags":["usage"]}')).toBe(UNREAD);
  });

  it('takes the last of a repeated member, as JSON.parse does', () => {
    const text = '{"usage":{"n":1},"usage":{"n":2}}';
    expect(read(text)).toEqual(JSON.parse(text).usage);
  });

  it('gives up on what is not well-formed', () => {
    expect(read('{"usage":{"n":1}')).toBe(UNREAD);
    expect(read('{"usage":{"n":1}} trailing')).toBe(UNREAD);
    expect(read('{"usage":{"n":"unterminated}')).toBe(UNREAD);
    expect(read('{"usage":}')).toBe(UNREAD);
  });

  it('agrees with JSON.parse on generated documents whenever it answers', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const strings = ['usage', '"usage":', 'a\\b', '}]{[', '\\"', 'plain', ''];
    const value = (depth: number): unknown => {
      const pick = random();
      if (depth > 3 || pick < 0.3) return strings[Math.floor(random() * strings.length)];
      if (pick < 0.4) return Math.floor(random() * 100);
      if (pick < 0.45) return null;
      if (pick < 0.7) return Array.from({ length: Math.floor(random() * 3) }, () => value(depth + 1));
      const object: Record<string, unknown> = {};
      for (let member = Math.floor(random() * 4); member > 0; member--)
        object[random() < 0.3 ? 'usage' : `k${Math.floor(random() * 5)}`] = value(depth + 1);
      return object;
    };
    let answered = 0;
    let present = 0;
    for (let run = 0; run < 2_000; run++) {
      const document = value(0);
      const text = JSON.stringify(document, null, random() < 0.5 ? 0 : 1);
      const found = read(text);
      if (found === UNREAD) continue;
      answered++;
      const expected =
        document !== null && typeof document === 'object' && !Array.isArray(document)
          ? (document as Record<string, unknown>).usage
          : undefined;
      expect(found, text).toEqual(expected);
      if (expected !== undefined) present++;
    }
    expect(answered).toBeGreaterThan(500);
    expect(present).toBeGreaterThan(100);
  });
});
