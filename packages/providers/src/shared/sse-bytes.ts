// Byte-level tools for translating one SSE stream into another without decoding and
// re-encoding every event: events are found by their ASCII line ends (which never occur
// inside a UTF-8 multi-byte character), strings are lifted out still encoded, and the output
// is assembled in one buffer per network read. Translating adapters use these directly: an
// async hop and a string round trip per event cost more than the translation itself. The async
// `parseSse` (sse.ts) is this splitter with event names, for the readers that want strings.

/**
 * Receives one event's data as `bytes[start, end)`; the bytes are only valid during the call.
 * `event` is the event's `event:` field, reported only by a splitter made with `names: true`.
 */
export type SseDataHandler = (bytes: Buffer, start: number, end: number, event?: string) => void;

const LF = 10;
const CR = 13;
const COLON = 58;
const QUOTE = 34;
const BACKSLASH = 92;

/**
 * Splits a server-sent-events byte stream into the data of its events, synchronously, one
 * network chunk at a time. Handles events split across chunks, LF, CRLF and lone-CR line ends,
 * comments and multi-line data. Event names are reported only when asked for (the payloads of
 * the providers the translators read name their own type). An unterminated event at the end is dropped, as the SSE
 * spec says; callers decide from the events they saw whether the stream finished.
 */
export class SseByteSplitter {
  // Bytes of the event still incomplete at the end of the previous chunk.
  private rest: Buffer | undefined;
  private readonly names: boolean;

  /** `names`: also report each event's `event:` field (decoded, so off for the byte translators). */
  constructor(options: { names?: boolean } = {}) {
    this.names = options.names ?? false;
  }

  /** Feeds one chunk; calls `onData` for every event it completes. */
  push(chunk: Uint8Array, onData: SseDataHandler): void {
    const incoming = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const bytes = this.rest ? Buffer.concat([this.rest, incoming]) : incoming;
    const consumed = this.scan(bytes, onData, false);
    // Copied: the caller may reuse the chunk's memory once push returns.
    this.rest = consumed < bytes.length ? Buffer.from(bytes.subarray(consumed)) : undefined;
  }

  /** Ends the stream, completing a last blank line that is a lone CR. */
  end(onData: SseDataHandler): void {
    if (this.rest) this.scan(this.rest, onData, true);
    this.rest = undefined;
  }

  /** Dispatches every complete event; returns where the first incomplete one begins. */
  private scan(bytes: Buffer, onData: SseDataHandler, final: boolean): number {
    const length = bytes.length;
    let eventStart = 0;
    let lineStart = 0;
    let dataStart = -1;
    let dataEnd = -1;
    let joined: Buffer[] | undefined;
    let nameStart = -1;
    let nameEnd = -1;
    let nextCr = bytes.indexOf(CR);
    for (;;) {
      const lf = bytes.indexOf(LF, lineStart);
      if (nextCr !== -1 && nextCr < lineStart) nextCr = bytes.indexOf(CR, lineStart);
      let lineEnd: number;
      let next: number;
      if (nextCr !== -1 && (lf === -1 || nextCr < lf)) {
        // A CR as the last byte may be the first half of a CRLF split across chunks.
        if (nextCr === length - 1 && !final) return eventStart;
        lineEnd = nextCr;
        next = bytes[nextCr + 1] === LF ? nextCr + 2 : nextCr + 1;
      } else if (lf !== -1) {
        lineEnd = lf;
        next = lf + 1;
      } else return eventStart;

      if (lineEnd === lineStart) {
        const event = nameStart === -1 ? undefined : bytes.toString('utf8', nameStart, nameEnd);
        if (joined) {
          const data = Buffer.concat(joined);
          onData(data, 0, data.length, event);
        } else if (dataStart !== -1) onData(bytes, dataStart, dataEnd, event);
        dataStart = -1;
        nameStart = -1;
        joined = undefined;
        eventStart = next;
      } else if (
        bytes[lineStart] === 100 /* d */ &&
        bytes[lineStart + 1] === 97 /* a */ &&
        bytes[lineStart + 2] === 116 /* t */ &&
        bytes[lineStart + 3] === 97 /* a */ &&
        (lineStart + 4 === lineEnd || bytes[lineStart + 4] === COLON)
      ) {
        let valueStart = lineStart + 5;
        if (valueStart < lineEnd && bytes[valueStart] === 32) valueStart++;
        if (valueStart > lineEnd) valueStart = lineEnd;
        if (joined) joined.push(NEWLINE, bytes.subarray(valueStart, lineEnd));
        else if (dataStart !== -1) {
          joined = [bytes.subarray(dataStart, dataEnd), NEWLINE, bytes.subarray(valueStart, lineEnd)];
        } else {
          dataStart = valueStart;
          dataEnd = lineEnd;
        }
      } else if (
        this.names &&
        bytes[lineStart] === 101 /* e */ &&
        bytesAt(bytes, lineStart, EVENT_FIELD) &&
        (lineStart + 5 === lineEnd || bytes[lineStart + 5] === COLON)
      ) {
        nameStart = Math.min(lineStart + 6, lineEnd);
        if (nameStart < lineEnd && bytes[nameStart] === 32) nameStart++;
        nameEnd = lineEnd;
      }
      // Comments, `id:`, `retry:` and unknown fields carry nothing the readers use.
      lineStart = next;
    }
  }
}

const NEWLINE = Buffer.from('\n');
const EVENT_FIELD = Buffer.from('event');

/**
 * End (exclusive) of the JSON string literal whose opening quote is at `start`, or -1 when it
 * does not close. The literal can then be copied, still encoded, into another JSON text.
 */
export function jsonStringEnd(bytes: Buffer, start: number, limit: number): number {
  // A plain loop: literals are short, and Buffer#indexOf costs more per call than it saves.
  for (let at = start + 1; at < limit; at++) {
    const byte = bytes[at];
    if (byte === BACKSLASH) at++;
    else if (byte === QUOTE) return at + 1;
  }
  return -1;
}

/** True when `bytes` holds `expected` at `offset`. */
export function bytesAt(bytes: Buffer, offset: number, expected: Uint8Array): boolean {
  if (offset + expected.length > bytes.length) return false;
  for (let index = 0; index < expected.length; index++) {
    if (bytes[offset + index] !== expected[index]) return false;
  }
  return true;
}

/** Assembles the output of one network read in a single buffer. */
export class ByteWriter {
  private buffer: Buffer;
  private length = 0;

  constructor(capacity = 16 * 1024) {
    this.buffer = Buffer.allocUnsafe(capacity);
  }

  /** Nothing written since the last `take`. */
  get empty(): boolean {
    return this.length === 0;
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + extra));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  /** Appends `source[start, end)`. */
  bytes(source: Buffer, start = 0, end = source.length): void {
    const count = end - start;
    this.ensure(count);
    if (count > 64) {
      this.length += source.copy(this.buffer, this.length, start, end);
      return;
    }
    // Short pieces (most of a stream) are cheaper to copy by hand than through Buffer#copy.
    const target = this.buffer;
    let at = this.length;
    for (let index = start; index < end; index++) target[at++] = source[index] as number;
    this.length = at;
  }

  /** Appends a string as UTF-8. */
  text(value: string): void {
    this.ensure(value.length * 3);
    this.length += this.buffer.write(value, this.length, 'utf8');
  }

  /** A copy of the bytes written so far; the writer keeps its memory and starts over. */
  take(): Buffer {
    // Copying out (pooled for small outputs) beats handing over the working buffer and
    // allocating a new one per read, which is one event per read on a token-by-token stream.
    const written = Buffer.from(this.buffer.subarray(0, this.length));
    this.length = 0;
    return written;
  }
}
