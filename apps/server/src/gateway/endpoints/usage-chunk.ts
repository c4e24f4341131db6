// OpenAI sends a stream's usage as a last chunk with empty `choices` only when the client asked
// (`stream_options.include_usage`). The gateway always asks, to account every call, so it takes
// that chunk out for clients that did not: hand-written loops read `chunk.choices[0].delta`.

const EMPTY_CHOICES = Buffer.from('"choices":[]');
const EVENT_END = /(?<=\n\n|\r\n\r\n|\r\r)/;

/** A stream chunk (whole events) without its usage-only events; other chunks are returned as they are. */
export function withoutUsageChunk(chunk: Uint8Array): Uint8Array {
  const bytes = Buffer.isBuffer(chunk)
    ? chunk
    : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  // Almost every chunk is told apart by this one search, without decoding it.
  if (bytes.indexOf(EMPTY_CHOICES) === -1) return chunk;
  const events = bytes.toString('utf8').split(EVENT_END);
  return Buffer.from(events.filter((event) => !isUsageOnly(event)).join(''), 'utf8');
}

function isUsageOnly(event: string): boolean {
  if (!event.includes('"choices":[]')) return false;
  const data = event
    .split(/\r\n|\r|\n/)
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice(line.charCodeAt(5) === 32 ? 6 : 5))
    .join('\n');
  try {
    const chunk = JSON.parse(data) as { choices?: unknown; usage?: unknown };
    return Array.isArray(chunk.choices) && chunk.choices.length === 0 && chunk.usage !== undefined;
  } catch {
    return false;
  }
}
