/** One response captured during the leak scenario: its headers and every byte of its body. */
export interface CapturedResponse {
  /** `trpc`, `v1`, `change feed` or `console`, with the path. */
  place: string;
  status: number;
  headers: string;
  body: Buffer;
}

/**
 * A `fetch` that keeps every response it returns (headers, and the body as the caller reads it,
 * through a tee), so the leak scan searches exactly what a client received, streams included.
 */
export class ResponseCapture {
  readonly responses: CapturedResponse[] = [];
  readonly #reading: Promise<void>[] = [];

  /** A fetch that captures under `kind`; a change feed (text/event-stream) is captured as it streams. */
  fetch(kind: string): typeof globalThis.fetch {
    return async (input, init) => {
      const response = await globalThis.fetch(input, init);
      const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
      const isFeed = (response.headers.get('content-type') ?? '').includes('text/event-stream');
      const captured: CapturedResponse = {
        place: `${isFeed ? 'change feed' : kind} ${url.pathname.split('/').slice(0, 3).join('/')}`,
        status: response.status,
        headers: [...response.headers].map(([name, value]) => `${name}: ${value}`).join('\n'),
        body: Buffer.alloc(0),
      };
      this.responses.push(captured);
      const copy = response.clone();
      this.#reading.push(
        (async () => {
          const chunks: Buffer[] = [];
          try {
            if (copy.body) for await (const chunk of copy.body) chunks.push(Buffer.from(chunk));
          } catch {
            // A feed ends when its subscription is closed: what arrived until then is kept.
          }
          captured.body = Buffer.concat(chunks);
        })(),
      );
      return response;
    };
  }

  /** Waits until every captured body was read to its end (close subscriptions first). */
  async settled(): Promise<void> {
    await Promise.all(this.#reading);
  }
}
