import { splitBytes } from '@switchboard/test-utils';
import { describe, expect, it } from 'vitest';
import { NdjsonLineSplitter } from './ollama-ndjson-lines.ts';

function linesOf(chunks: Uint8Array[]): string[] {
  const splitter = new NdjsonLineSplitter();
  const lines: string[] = [];
  for (const chunk of chunks) splitter.push(chunk, (line) => lines.push(line));
  splitter.end((line) => lines.push(line));
  return lines;
}

describe('NdjsonLineSplitter', () => {
  const text = '{"a":"é🌤️"}\r\n\n  \n{"b":"空"}\n{"c":3}';

  it('splits lines across any chunk boundary, multi-byte characters included, and keeps a last unterminated line', () => {
    for (const size of [1, 2, 3, 5, 64]) {
      expect(linesOf(splitBytes(text, size))).toEqual(['{"a":"é🌤️"}', '{"b":"空"}', '{"c":3}']);
    }
  });

  it('yields nothing for an empty stream', () => {
    expect(linesOf([])).toEqual([]);
  });
});
