import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

/** One answer as it came off the wire. */
export interface RawResponse {
  status: number;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  body: string;
}

/**
 * One HTTP/1.1 connection driven by hand: requests are written byte by byte as the test wants
 * (partial bodies, stalls, several requests in a row), answers are parsed as they arrive.
 * Only Content-Length answers are parsed, which is what the server sends for everything but streams.
 */
export class RawConnection {
  readonly socket: Socket;
  /** Settles when the server (or the test) closes the connection. */
  readonly closed: Promise<void>;
  #buffer = Buffer.alloc(0);
  #waiting: (() => void) | null = null;
  #isClosed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#wake();
    });
    // A reset from the server counts as closed too.
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.#isClosed = true;
        this.#wake();
        resolve();
      }),
    );
  }

  /** Connects to the server at `url` (its host and port). */
  static async open(url: string): Promise<RawConnection> {
    const { hostname, port } = new URL(url);
    const socket = connect(Number(port), hostname);
    await once(socket, 'connect');
    return new RawConnection(socket);
  }

  /** True once the connection closed. */
  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Writes raw bytes. */
  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** The next whole answer; rejects when the connection closes first. */
  async response(): Promise<RawResponse> {
    for (;;) {
      const parsed = this.#take();
      if (parsed) return parsed;
      if (this.#isClosed)
        throw new Error(`connection closed before an answer (${this.#buffer.length} bytes buffered)`);
      await new Promise<void>((resolve) => {
        this.#waiting = resolve;
      });
    }
  }

  /** Closes the connection from this side. */
  destroy(): void {
    this.socket.destroy();
  }

  #wake(): void {
    this.#waiting?.();
    this.#waiting = null;
  }

  #take(): RawResponse | undefined {
    const end = this.#buffer.indexOf('\r\n\r\n');
    if (end === -1) return undefined;
    const [statusLine, ...lines] = this.#buffer.subarray(0, end).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    if (this.#buffer.length < end + 4 + length) return undefined;
    const body = this.#buffer.subarray(end + 4, end + 4 + length).toString('utf8');
    this.#buffer = this.#buffer.subarray(end + 4 + length);
    return { status: Number(statusLine?.split(' ')[1]), headers, body };
  }
}

/** The bytes of a request with a JSON body (its length declared unless `chunked`). */
export function rawRequest(method: string, path: string, headers: Record<string, string>, body = ''): string {
  const lines = [`${method} ${path} HTTP/1.1`, 'host: 127.0.0.1'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (body !== '' || method === 'POST') lines.push(`content-length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}
