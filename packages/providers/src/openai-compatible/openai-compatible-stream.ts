import {
  type ChatCompletionChunk,
  MalformedResponseError,
  UpstreamUnavailableError,
  type Usage,
} from '@switchboard/provider-spec';
import { redact } from '../shared/redact.ts';
import { type ErrorContext, errorForStatus } from '../shared/upstream-errors.ts';
import { readUsage } from './openai-compatible-usage.ts';

/** Fixes a provider's deviation from OpenAI's chunk format; `changed` events are re-encoded. */
export interface ChunkRepair {
  /** Cheap test on the event text: only events that pass are parsed. */
  mayNeed(eventText: string): boolean;
  /** Repairs the chunk in place; returns true when it changed anything. */
  repair(chunk: ChatCompletionChunk): boolean;
}

/** What the pass-through noticed while the bytes went by. */
export interface PassThroughState {
  usage: Usage | undefined;
  done: boolean;
}

const LF = 10;
const CR = 13;
const USAGE = /"usage"\s*:\s*\{/;
const DONE = /^data: ?\[DONE\]\s*$/m;
const encoder = new TextEncoder();
// Events are decoded whole (never with `stream: true`), so one decoder serves every stream.
const decoder = new TextDecoder('utf-8');

/**
 * Indexes just past each complete event in `bytes` (an event ends with a blank
 * line, `\n\n` or `\r\n\r\n`), scanning from `from`.
 */
function eventEnds(bytes: Uint8Array, from: number): number[] {
  const ends: number[] = [];
  let index = bytes.indexOf(LF, from);
  while (index !== -1 && index + 1 < bytes.length) {
    const next = bytes[index + 1];
    if (next === LF) {
      ends.push(index + 2);
      index = bytes.indexOf(LF, index + 2);
      continue;
    }
    if (next === CR && bytes[index + 2] === LF) {
      ends.push(index + 3);
      index = bytes.indexOf(LF, index + 3);
      continue;
    }
    index = bytes.indexOf(LF, index + 1);
  }
  return ends;
}

function dataOf(eventText: string): string {
  const lines: string[] = [];
  for (const line of eventText.split(/\r?\n/)) {
    if (line.startsWith('data:')) lines.push(line.slice(line.charCodeAt(5) === 32 ? 6 : 5));
  }
  return lines.join('\n');
}

/**
 * Passes an OpenAI-format SSE body through byte for byte, in whole events, while
 * noticing the usage chunk and `data: [DONE]`. An error event, or an end without
 * `[DONE]`, throws a ProviderError: a cut stream never looks like a success.
 */
export async function* passThroughSse(
  body: AsyncIterable<Uint8Array>,
  state: PassThroughState,
  context: ErrorContext,
  repair?: ChunkRepair,
): AsyncIterable<Uint8Array> {
  let pending: Uint8Array | undefined;
  const iterator = body[Symbol.asyncIterator]();
  try {
    for (;;) {
      const step = await iterator.next();
      if (step.done) break;
      const chunk = step.value;
      // Fast path, taken by almost every chunk of a stream: whole events that mention
      // neither usage, an error nor [DONE] go out as they came, without decoding them.
      if (pending === undefined && repair === undefined && isPlainEvents(chunk)) {
        yield chunk;
        continue;
      }
      const buffer = pending ? concat(pending, chunk) : chunk;
      const ends = eventEnds(buffer, pending ? Math.max(0, pending.length - 2) : 0);
      if (ends.length === 0) {
        pending = buffer;
        continue;
      }
      const parts: Uint8Array[] = [];
      let start = 0;
      let rewritten = false;
      let failure: Error | undefined;
      for (const end of ends) {
        const event = buffer.subarray(start, end);
        const outcome = state.done ? 'skip' : inspect(decoder.decode(event), state, context, repair);
        if (outcome instanceof Error) {
          failure = outcome;
          break;
        }
        if (outcome === 'skip') rewritten = true;
        else if (outcome instanceof Uint8Array) {
          parts.push(outcome);
          rewritten = true;
        } else parts.push(event);
        start = end;
      }
      const last = ends[ends.length - 1] ?? 0;
      pending = failure === undefined && last < buffer.length ? buffer.slice(last) : undefined;
      if (!rewritten && failure === undefined) {
        if (last > 0) yield buffer.subarray(0, last);
      } else if (parts.length > 0) yield concat(...parts);
      if (failure) throw failure;
      if (state.done) break;
    }
    // A final `data: [DONE]` without its blank line still finishes the stream.
    if (!state.done && pending && DONE.test(decoder.decode(pending))) {
      state.done = true;
      yield pending;
    }
    // A server that answered a stream request with a plain JSON error (status 200) still gets its reason shown.
    if (!state.done && pending) {
      const reported = jsonError(decoder.decode(pending), context);
      if (reported) throw reported;
    }
    if (!state.done) {
      throw new UpstreamUnavailableError(`${context.label}: the stream ended before it finished`, {
        provider: context.provider,
        status: 200,
      });
    }
    // Nothing is read after [DONE]: a server that keeps the response open must not hold the client.
  } finally {
    await iterator.return?.();
  }
}

const NEEDLES = ['"error"', '[DONE]'].map((needle) => Buffer.from(needle));
const USAGE_KEY = Buffer.from('"usage"');
const COLON = 0x3a;
const LOWER_N = 0x6e;

const isSpace = (byte: number | undefined) => byte === 0x20 || byte === 0x09 || byte === LF || byte === CR;

/**
 * Whether `bytes` carries a usage object. OpenAI puts `"usage":null` in every chunk of a stream
 * that asked for usage, so only a key whose value is not `null` sends the chunk the slow way.
 */
function mentionsUsage(bytes: Buffer): boolean {
  let at = bytes.indexOf(USAGE_KEY);
  while (at !== -1) {
    let index = at + USAGE_KEY.length;
    while (isSpace(bytes[index])) index += 1;
    // `"usage"` not followed by a colon is a string value, not the key.
    if (bytes[index] === COLON) {
      index += 1;
      while (isSpace(bytes[index])) index += 1;
      if (bytes[index] !== LOWER_N) return true;
    }
    at = bytes.indexOf(USAGE_KEY, at + USAGE_KEY.length);
  }
  return false;
}

const DATA_FIELD = Buffer.from('data:');
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * Whether every `data:` line of `bytes` holds a JSON object on its own line (`{…}`), the shape of
 * every chunk of an OpenAI stream. Anything else (a cut object, garbage, an object spread over
 * several lines) goes the slow way, where it is parsed; a scan, not a parse, on the fast path.
 */
function dataLinesAreObjects(bytes: Buffer): boolean {
  let at = bytes.indexOf(DATA_FIELD);
  while (at !== -1) {
    // `data:` inside a JSON string is not at a line start.
    if (at > 0 && bytes[at - 1] !== LF && bytes[at - 1] !== CR) {
      at = bytes.indexOf(DATA_FIELD, at + DATA_FIELD.length);
      continue;
    }
    let start = at + DATA_FIELD.length;
    if (bytes[start] === 0x20) start += 1;
    let end = bytes.indexOf(LF, start);
    if (end === -1) end = bytes.length;
    const next = end;
    while (end > start && isSpace(bytes[end - 1])) end -= 1;
    if (bytes[start] !== OPEN_BRACE || bytes[end - 1] !== CLOSE_BRACE) return false;
    at = bytes.indexOf(DATA_FIELD, next);
  }
  return true;
}

/** The same check on an event's decoded data. */
function looksLikeObject(data: string): boolean {
  const end = data.trimEnd();
  return data.charCodeAt(0) === OPEN_BRACE && end.charCodeAt(end.length - 1) === CLOSE_BRACE;
}

/** Whether `chunk` is complete events (ends with a blank line) with nothing to notice. */
function isPlainEvents(chunk: Uint8Array): boolean {
  const length = chunk.length;
  const endsWithBlankLine =
    length >= 2 &&
    chunk[length - 1] === LF &&
    (chunk[length - 2] === LF ||
      (chunk[length - 2] === CR && chunk[length - 3] === LF && chunk[length - 4] === CR));
  if (!endsWithBlankLine) return false;
  const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, length);
  for (const needle of NEEDLES) if (bytes.indexOf(needle) !== -1) return false;
  return !mentionsUsage(bytes) && dataLinesAreObjects(bytes);
}

type Outcome = 'keep' | 'skip' | Uint8Array | Error;

function inspect(
  text: string,
  state: PassThroughState,
  context: ErrorContext,
  repair?: ChunkRepair,
): Outcome {
  if (DONE.test(text)) {
    state.done = true;
    return 'keep';
  }
  const mayHaveError = text.includes('"error"');
  const mayHaveUsage = USAGE.test(text);
  const mayNeedRepair = repair?.mayNeed(text) ?? false;
  const data = dataOf(text);
  if (data === '') return 'keep';
  if (!mayHaveError && !mayHaveUsage && !mayNeedRepair && looksLikeObject(data)) return 'keep';
  let chunk: ChatCompletionChunk & { error?: unknown };
  try {
    chunk = JSON.parse(data) as ChatCompletionChunk & { error?: unknown };
  } catch {
    // A cut object or garbage is never passed on: the client would fail to parse it.
    return new MalformedResponseError(`${context.label}: the stream sent an event that is not JSON`, {
      provider: context.provider,
      status: 200,
    });
  }
  if (chunk.error && typeof chunk.error === 'object')
    return streamError(chunk.error as Record<string, unknown>, context);
  if (/^event: ?error\s*$/m.test(text))
    return streamError(chunk as unknown as Record<string, unknown>, context);
  if (mayHaveUsage && chunk.usage) state.usage = readUsage(chunk.usage);
  if (mayNeedRepair && repair?.repair(chunk)) return encoder.encode(`data: ${JSON.stringify(chunk)}\n\n`);
  return 'keep';
}

function jsonError(text: string, context: ErrorContext): Error | undefined {
  try {
    const value = JSON.parse(text) as { error?: unknown };
    return value.error && typeof value.error === 'object'
      ? streamError(value.error as Record<string, unknown>, context)
      : undefined;
  } catch {
    return undefined;
  }
}

function streamError(error: Record<string, unknown>, context: ErrorContext): Error {
  const message = typeof error.message === 'string' ? error.message : 'the stream reported an error';
  const code = typeof error.code === 'number' ? error.code : Number(error.code);
  const status = Number.isInteger(code) && code >= 400 && code < 600 ? code : undefined;
  const type = [error.type, error.code].find((value) => typeof value === 'string') as string | undefined;
  if (status === undefined) {
    return new UpstreamUnavailableError(`${context.label}: ${redact(message, context.secrets)}`, {
      provider: context.provider,
      status: 200,
      upstreamMessage: redact(message, context.secrets),
    });
  }
  return errorForStatus(status, { message, ...(type ? { code: type } : {}) }, {}, context);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
