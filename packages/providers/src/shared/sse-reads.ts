import { type ByteWriter, SseByteSplitter, type SseDataHandler } from './sse-bytes.ts';

/**
 * Feeds each network read of an upstream SSE stream through `onData` and yields what `out` holds
 * after it: one output buffer per read. Events translated before one that throws still reach the
 * client, then the error. The caller checks afterwards that the stream finished and writes its end.
 */
export async function* translateSseReads(
  upstream: AsyncIterable<Uint8Array>,
  onData: SseDataHandler,
  out: ByteWriter,
): AsyncGenerator<Uint8Array, void, undefined> {
  const splitter = new SseByteSplitter();
  let failure: unknown;
  for await (const chunk of upstream) {
    try {
      splitter.push(chunk, onData);
    } catch (error) {
      failure = error;
    }
    if (!out.empty) yield out.take();
    if (failure !== undefined) throw failure;
  }
  splitter.end(onData);
}
