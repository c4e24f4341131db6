import { splitBytes } from '@switchboard/test-utils';
import { describe, expect, it } from 'vitest';
import { ByteWriter, jsonStringEnd, SseByteSplitter } from './sse-bytes.ts';

function split(chunks: (string | Buffer)[]): string[] {
  const events: string[] = [];
  const splitter = new SseByteSplitter();
  const onData = (bytes: Buffer, start: number, end: number) =>
    events.push(bytes.toString('utf8', start, end));
  for (const chunk of chunks) splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk, onData);
  splitter.end(onData);
  return events;
}

const STREAM =
  ': comment\r\nevent: first\r\ndata: {"a":"é 世界 🌍"}\r\n\r\nid: 7\ndata: line one\ndata: line two\n\n' +
  'data:no-space\r\rretry: 10\ndata\n\nevent: without-data\n\ndatabase: not data\ndata: x\n\ndata: unterminated';

describe('SseByteSplitter', () => {
  const expected = ['{"a":"é 世界 🌍"}', 'line one\nline two', 'no-space', '', 'x'];

  it('splits LF, CRLF and lone-CR framed events, multi-line data and comments, dropping an unterminated event', () => {
    expect(split([STREAM])).toEqual(expected);
  });

  it('gives the same events whatever the chunk boundaries, even inside characters and CRLF pairs', () => {
    for (const size of [1, 2, 3, 5, 7, 11, 64]) expect(split(splitBytes(STREAM, size))).toEqual(expected);
  });

  it('completes a last event whose blank line is a lone CR at the very end', () => {
    expect(split(['data: x\r', '\r'])).toEqual(['x']);
  });

  it('does not keep a reference to a chunk the caller may reuse', () => {
    const chunk = Buffer.from('data: abc');
    const events: string[] = [];
    const splitter = new SseByteSplitter();
    splitter.push(chunk, () => undefined);
    chunk.fill(0x78);
    splitter.push(Buffer.from('\n\n'), (bytes, start, end) =>
      events.push(bytes.toString('utf8', start, end)),
    );
    expect(events).toEqual(['abc']);
  });
});

describe('jsonStringEnd', () => {
  it('finds the closing quote, skipping escaped quotes but not escaped backslashes', () => {
    const text = Buffer.from('{"t":"a\\"b\\\\","u":1}');
    const start = text.indexOf('"a');
    const end = jsonStringEnd(text, start, text.length);
    expect(JSON.parse(text.toString('utf8', start, end))).toBe('a"b\\');
    expect(jsonStringEnd(Buffer.from('"open'), 0, 5)).toBe(-1);
  });
});

describe('ByteWriter', () => {
  it('grows past its capacity and starts over after take', () => {
    const writer = new ByteWriter(8);
    writer.text('héllo ');
    writer.bytes(Buffer.from('x'.repeat(100)));
    writer.bytes(Buffer.from('[abc]'), 1, 4);
    expect(writer.take().toString()).toBe(`héllo ${'x'.repeat(100)}abc`);
    expect(writer.empty).toBe(true);
    writer.text('next');
    expect(writer.take().toString()).toBe('next');
  });
});
