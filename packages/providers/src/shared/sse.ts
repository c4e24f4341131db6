import { SseByteSplitter, type SseDataHandler } from './sse-bytes.ts';

/** One server-sent event. */
export interface SseEvent {
  /** The `event:` field, or undefined for the default `message`. */
  event: string | undefined;
  /** The `data:` lines joined with `\n`. */
  data: string;
}

/**
 * Parses a server-sent-events byte stream into events with string data: the byte splitter
 * (one SSE reader for the whole codebase), decoding each event once. Handles events and
 * multi-byte characters split across chunks, CRLF/CR/LF line ends, comments, and multi-line
 * data. An unterminated event at the end of the stream is dropped, as the spec says: callers
 * decide from the events they saw whether the stream finished.
 */
export async function* parseSse(body: AsyncIterable<Uint8Array>): AsyncIterable<SseEvent> {
  const splitter = new SseByteSplitter({ names: true });
  let ready: SseEvent[] = [];
  const onData: SseDataHandler = (bytes, start, end, event) => {
    ready.push({ event, data: bytes.toString('utf8', start, end) });
  };
  for await (const chunk of body) {
    splitter.push(chunk, onData);
    const events = ready;
    ready = [];
    yield* events;
  }
  splitter.end(onData);
  yield* ready;
}

const encoder = new TextEncoder();

/** `data: <json>\n\n` as bytes. */
export function encodeSseData(value: unknown): Uint8Array {
  return encoder.encode(`data: ${JSON.stringify(value)}\n\n`);
}

/** The terminator of an OpenAI-format stream. */
export const SSE_DONE: Uint8Array = encoder.encode('data: [DONE]\n\n');
