import { connect } from 'node:net';

/** What came back on a raw connection: the status of the first answer, or null when the server closed without one. */
export interface RawAnswer {
  status: number | null;
  /** Everything received, as latin1 text (for messages on failure). */
  text: string;
}

/**
 * Sends `head` and `body` byte for byte on a fresh connection (duplicate headers, bad methods,
 * oversized or odd header bytes: what `fetch` refuses to send), and reads until the server
 * closes it. The request should say `Connection: close`; `timeoutMs` ends a connection the
 * server keeps open (then only what arrived counts).
 */
export function rawRequest(
  url: string,
  head: string | Buffer,
  body: Buffer = Buffer.alloc(0),
  timeoutMs = 10_000,
) {
  const { hostname, port } = new URL(url);
  return new Promise<RawAnswer>((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), hostname);
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A reset after (or instead of) an answer is one of the outcomes, not a failure of the helper.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1];
      resolve({ status: status ? Number(status) : null, text });
    });
    socket.on('connect', () => {
      socket.write(head);
      if (body.length > 0) socket.write(body);
    });
  });
}
