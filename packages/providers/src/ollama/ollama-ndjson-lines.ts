/**
 * Splits an NDJSON byte stream into lines synchronously, one network read at a time, so the
 * stream translation turns every line of a read into one write (an async step per line cost
 * three times as much per event). Lines and multi-byte characters may be split across reads.
 */
export class NdjsonLineSplitter {
  private readonly decoder = new TextDecoder('utf-8');
  private rest = '';

  /** Feeds one read; calls `onLine` for every complete, non-blank line in it. */
  push(chunk: Uint8Array, onLine: (line: string) => void): void {
    const text = this.rest + this.decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let newline = text.indexOf('\n', start); newline !== -1; newline = text.indexOf('\n', start)) {
      const line = text.slice(start, newline).trim();
      start = newline + 1;
      if (line !== '') onLine(line);
    }
    this.rest = text.slice(start);
  }

  /** Ends the stream: a last line without a newline is still a line. */
  end(onLine: (line: string) => void): void {
    const line = (this.rest + this.decoder.decode()).trim();
    this.rest = '';
    if (line !== '') onLine(line);
  }
}
