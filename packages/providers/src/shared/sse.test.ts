import { splitBytes } from '@switchboard/test-utils';
import { describe, expect, it } from 'vitest';
import { parseSse, type SseEvent } from './sse.ts';

async function parse(chunks: (string | Buffer)[]): Promise<SseEvent[]> {
  async function* body() {
    for (const chunk of chunks) yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
  }
  const events: SseEvent[] = [];
  for await (const event of parseSse(body())) events.push(event);
  return events;
}

const STREAM =
  'event: message_start\r\ndata: {"a":"é 世界 🌍"}\r\n\r\n: ping\nevent:ping\ndata: {}\n\n' +
  'data: line one\ndata: line two\n\nevent: without-data\n\nevents: not a name\ndata: x\n\nevent: cut\ndata: unterminated';

describe('parseSse', () => {
  const expected: SseEvent[] = [
    { event: 'message_start', data: '{"a":"é 世界 🌍"}' },
    { event: 'ping', data: '{}' },
    { event: undefined, data: 'line one\nline two' },
    { event: undefined, data: 'x' },
  ];

  it('gives each event its name and data, dropping nameless-data and unterminated events', async () => {
    expect(await parse([STREAM])).toEqual(expected);
  });

  it('gives the same events whatever the chunk boundaries, even inside characters and names', async () => {
    for (const size of [1, 2, 3, 7, 64]) expect(await parse(splitBytes(STREAM, size))).toEqual(expected);
  });
});
