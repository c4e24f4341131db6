const CONTENT_MARK = ',"message":{"role":"assistant","content":';
const PLAIN_END = '},"done":false}';

/**
 * The still-encoded content string (quotes included) of a plain token line, exactly as Ollama
 * writes it: `{...,"message":{"role":"assistant","content":"<text>"},"done":false}`. Undefined
 * for every other shape (thinking, tool calls, images, the final line, another field order),
 * which then takes the JSON.parse path. Nearly every line of a stream is a plain token, and
 * splicing the literal skips a parse and a stringify per token.
 */
export function plainContentLiteral(line: string): string | undefined {
  if (!line.endsWith(PLAIN_END)) return undefined;
  // `,"` cannot occur inside a JSON string (its quote would be escaped), so the mark is structural.
  const mark = line.indexOf(CONTENT_MARK);
  if (mark === -1) return undefined;
  const start = mark + CONTENT_MARK.length;
  if (line.charCodeAt(start) !== 34 /* " */) return undefined;
  let at = start + 1;
  for (;;) {
    const quote = line.indexOf('"', at);
    if (quote === -1) return undefined;
    let backslashes = 0;
    while (line.charCodeAt(quote - 1 - backslashes) === 92 /* \ */) backslashes++;
    if (backslashes % 2 === 0) {
      return quote + 1 === line.length - PLAIN_END.length ? line.slice(start, quote + 1) : undefined;
    }
    at = quote + 1;
  }
}
