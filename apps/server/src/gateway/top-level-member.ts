// Reading one member of a relayed JSON answer without parsing all of it. A passthrough answer's
// bytes go to the client unchanged and the gateway needs only its `usage`, which OpenAI and
// Anthropic put last: so the member is found from the end, checked to belong to the top-level
// object by scanning only the bytes after it, and only its value is parsed. Parsing a whole
// answer built its every object (per call, several microseconds and the garbage to collect).

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

const isSpace = (byte: number | undefined): boolean =>
  byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;

/** Returned when the member could not be read this way: parse the whole document instead. */
export const UNREAD: unique symbol = Symbol('unread');

const decoder = new TextDecoder();

/** The index after the string whose opening quote is at `start`, or -1 when it does not end. */
function stringEnd(bytes: Uint8Array, start: number): number {
  for (let at = start + 1; at < bytes.length; at++) {
    const byte = bytes[at];
    if (byte === BACKSLASH) at++;
    else if (byte === QUOTE) return at + 1;
  }
  return -1;
}

/**
 * Scans from `start` (outside any string) to where the depth first drops below zero: the index
 * of that closing brace or bracket, or -1 when it never does (or a string does not end).
 */
function closingIndex(bytes: Uint8Array, start: number): number {
  let depth = 0;
  for (let at = start; at < bytes.length; at++) {
    const byte = bytes[at];
    if (byte === QUOTE) {
      const end = stringEnd(bytes, at);
      if (end === -1) return -1;
      at = end - 1;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth++;
    else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      if (depth === 0) return at;
      depth--;
    }
  }
  return -1;
}

/** The end of the value that begins at `start` (an object, an array, a string or a literal), or -1. */
function valueEnd(bytes: Uint8Array, start: number): number {
  const first = bytes[start];
  if (first === QUOTE) return stringEnd(bytes, start);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    const close = closingIndex(bytes, start + 1);
    return close === -1 ? -1 : close + 1;
  }
  // A number, true, false or null: up to the next delimiter.
  let at = start;
  while (at < bytes.length) {
    const byte = bytes[at];
    if (byte === 0x2c || byte === CLOSE_BRACE || byte === CLOSE_BRACKET || isSpace(byte)) break;
    at++;
  }
  return at === start ? -1 : at;
}

/**
 * The value of `key` in the top-level object of the JSON document `bytes`, parsed; `undefined`
 * when the top-level object has no such member; `UNREAD` when this cheap reading cannot tell (the
 * key's last occurrence is nested, the bytes are not JSON as expected), and the caller parses
 * the whole document. Like `JSON.parse`, a key given twice counts by its last occurrence.
 */
export function topLevelMember(bytes: Uint8Array, key: string): unknown {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const quoted = `"${key}"`;
  const at = view.lastIndexOf(quoted);
  // Nowhere in the document: whatever it is, it has no such member.
  if (at === -1) return undefined;
  // A quote inside a string is escaped, and an unescaped one there would have ended it: so an
  // unescaped quote followed by key" opens the string key. Escaped: the match is inside a string.
  let backslashes = 0;
  while (at - backslashes - 1 >= 0 && bytes[at - backslashes - 1] === BACKSLASH) backslashes++;
  if (backslashes % 2 === 1) return UNREAD;
  let next = at + quoted.length;
  while (isSpace(bytes[next])) next++;
  // Not followed by a colon: the string is a value (in an array), not a member's name.
  if (bytes[next] !== COLON) return UNREAD;
  next++;
  while (isSpace(bytes[next])) next++;
  const end = valueEnd(bytes, next);
  if (end === -1) return UNREAD;
  // The member is the top level's when the object holding it closes at the document's end.
  const close = closingIndex(bytes, end);
  if (close === -1 || bytes[close] !== CLOSE_BRACE) return UNREAD;
  for (let after = close + 1; after < bytes.length; after++) if (!isSpace(bytes[after])) return UNREAD;
  try {
    return JSON.parse(decoder.decode(bytes.subarray(next, end)));
  } catch {
    return UNREAD;
  }
}
