/** One server-sent event. */
export interface SseEvent {
  /** The `event:` field, or undefined for the default `message`. */
  event: string | undefined;
  /** The `data:` lines joined with `\n`. */
  data: string;
}

/**
 * Parses a server-sent-events byte stream. Handles events and multi-byte characters
 * split across chunks, CRLF/CR/LF line ends, comments, and multi-line data.
 * An unterminated event at the end of the stream is dropped, as the spec says:
 * callers decide from the events they saw whether the stream finished.
 */
export async function* parseSse(body: AsyncIterable<Uint8Array>): AsyncIterable<SseEvent> {
  const decoder = new TextDecoder('utf-8');
  let buffer = '';
  let event: string | undefined;
  let data: string[] = [];
  const takeLine = (line: string): SseEvent | undefined => {
    if (line === '') {
      if (data.length === 0) {
        event = undefined;
        return undefined;
      }
      const done = { event, data: data.join('\n') };
      event = undefined;
      data = [];
      return done;
    }
    if (line.charCodeAt(0) === 58 /* : */) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    return undefined;
  };
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let start = 0;
    for (;;) {
      const lf = buffer.indexOf('\n', start);
      const cr = buffer.indexOf('\r', start);
      let end: number;
      let next: number;
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        // A CR at the very end may be the first half of CRLF: wait for the next chunk.
        if (cr === buffer.length - 1) break;
        end = cr;
        next = buffer.charCodeAt(cr + 1) === 10 ? cr + 2 : cr + 1;
      } else if (lf !== -1) {
        end = lf;
        next = lf + 1;
      } else break;
      const done = takeLine(buffer.slice(start, end));
      start = next;
      if (done) yield done;
    }
    buffer = buffer.slice(start);
  }
  buffer += decoder.decode();
  if (buffer.length > 0 && buffer.endsWith('\r')) {
    const done = takeLine(buffer.slice(0, -1));
    if (done) yield done;
  }
}

const encoder = new TextEncoder();

/** `data: <json>\n\n` as bytes. */
export function encodeSseData(value: unknown): Uint8Array {
  return encoder.encode(`data: ${JSON.stringify(value)}\n\n`);
}

/** The terminator of an OpenAI-format stream. */
export const SSE_DONE: Uint8Array = encoder.encode('data: [DONE]\n\n');
