import { describe, expect, it } from 'vitest';
import { withoutUsageChunk } from './usage-chunk.ts';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');
const content =
  'data: {"id":"c","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"usage":null}\n\n';
const usage =
  'data: {"id":"c","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}\n\n';

describe('withoutUsageChunk', () => {
  it('returns chunks without a usage-only event as they are (the same bytes)', () => {
    const chunk = new TextEncoder().encode(content);
    expect(withoutUsageChunk(chunk)).toBe(chunk);
  });

  it('takes out the usage-only event and keeps the rest, [DONE] included', () => {
    const chunk = new TextEncoder().encode(`${content}${usage}data: [DONE]\n\n`);
    expect(text(withoutUsageChunk(chunk))).toBe(`${content}data: [DONE]\n\n`);
  });

  it('handles CRLF line ends', () => {
    const crlf = (event: string) => event.replaceAll('\n', '\r\n');
    const chunk = new TextEncoder().encode(crlf(`${content}${usage}data: [DONE]\n\n`));
    expect(text(withoutUsageChunk(chunk))).toBe(crlf(`${content}data: [DONE]\n\n`));
  });

  it('keeps an event with empty choices that carries no usage', () => {
    const odd = 'data: {"id":"c","choices":[]}\n\n';
    expect(text(withoutUsageChunk(new TextEncoder().encode(odd)))).toBe(odd);
  });
});
