/**
 * Parses newline-delimited JSON (Ollama's stream format), one value per line;
 * lines and multi-byte characters may be split across chunks. A final line
 * without a newline is still parsed. Throws SyntaxError on a line that is not JSON.
 */
export async function* parseNdjson<T = unknown>(body: AsyncIterable<Uint8Array>): AsyncIterable<T> {
  const decoder = new TextDecoder('utf-8');
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let newline = buffer.indexOf('\n'); newline !== -1; newline = buffer.indexOf('\n', start)) {
      const line = buffer.slice(start, newline).trim();
      start = newline + 1;
      if (line) yield JSON.parse(line) as T;
    }
    buffer = buffer.slice(start);
  }
  const rest = (buffer + decoder.decode()).trim();
  if (rest) yield JSON.parse(rest) as T;
}
