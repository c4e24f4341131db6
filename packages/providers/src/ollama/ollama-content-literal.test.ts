import { describe, expect, it } from 'vitest';
import { plainContentLiteral } from './ollama-content-literal.ts';

const line = (content: string, rest = '},"done":false}') =>
  `{"model":"llama3.2","created_at":"2026-08-01T10:00:00.1Z","message":{"role":"assistant","content":${content}${rest}`;

describe('plainContentLiteral', () => {
  it('returns the encoded content of a plain token line, escapes and all', () => {
    for (const literal of [
      '"Hi"',
      '""',
      '"a \\"quoted\\" word"',
      '"ends with a backslash \\\\"',
      '"\\u003cb\\u003e 🌤️\\n"',
    ]) {
      expect(plainContentLiteral(line(literal))).toBe(literal);
      // What is spliced parses back to what JSON.parse of the whole line would give.
      expect(JSON.parse(plainContentLiteral(line(literal))!)).toBe(
        (JSON.parse(line(literal)) as { message: { content: string } }).message.content,
      );
    }
  });

  it('leaves every other shape to JSON.parse', () => {
    expect(plainContentLiteral(line('"Hi"', ',"thinking":"hmm"},"done":false}'))).toBeUndefined();
    expect(plainContentLiteral(line('"Hi"', ',"images":null},"done":false}'))).toBeUndefined();
    expect(
      plainContentLiteral(
        line('""', ',"tool_calls":[{"function":{"name":"f","arguments":{}}}]},"done":false}'),
      ),
    ).toBeUndefined();
    expect(plainContentLiteral(line('""', '},"done":true,"done_reason":"stop"}'))).toBeUndefined();
    expect(plainContentLiteral(line('"a\\"},\\"done\\":false}'))).toBeUndefined();
    expect(plainContentLiteral('{"error":"unexpected EOF"}')).toBeUndefined();
    expect(
      plainContentLiteral('{"model":"m","message":{"content":"x","role":"assistant"},"done":false}'),
    ).toBeUndefined();
  });
});
