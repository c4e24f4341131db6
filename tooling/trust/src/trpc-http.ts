/** How a call authenticates: a bearer token (`sbp_…`, or anything else sent as one), a session cookie, or nothing. */
export type Credentials = { bearer: string } | { session: string } | null;

/** What a /trpc call answered: the HTTP status and the tRPC error code (null on success). */
export interface TrpcAnswer {
  status: number;
  /** `UNAUTHORIZED`, `FORBIDDEN`, `NOT_FOUND`…; null when the call succeeded. */
  code: string | null;
  /** The parsed body (for a subscription, the first event's data). */
  body: unknown;
}

/** A procedure's kind, as the router declares it. */
export type ProcedureType = 'query' | 'mutation' | 'subscription';

function headersFor(credentials: Credentials): Record<string, string> {
  if (!credentials) return {};
  if ('bearer' in credentials) return { authorization: `Bearer ${credentials.bearer}` };
  return { cookie: `sb_session=${credentials.session}` };
}

function codeOf(body: unknown): string | null {
  const error = (body as { error?: { data?: { code?: string }; code?: unknown } } | null)?.error;
  if (!error) return null;
  if (typeof error.data?.code === 'string') return error.data.code;
  return typeof error.code === 'string' ? error.code : 'UNKNOWN';
}

/** One server-sent event. */
interface SseEvent {
  event: string;
  data: unknown;
}

/** Reads server-sent events off a response body, one at a time. */
function sseReader(response: Response) {
  const reader = response.body?.getReader();
  const decoder = new TextDecoder();
  let text = '';
  return {
    /** The next event other than `connected`, or null when the stream ended. */
    async next(): Promise<SseEvent | null> {
      for (;;) {
        const end = text.indexOf('\n\n');
        if (end !== -1) {
          const block = text.slice(0, end);
          text = text.slice(end + 2);
          if (!block.trim()) continue;
          const event = /^event: ?(.*)$/m.exec(block)?.[1] ?? 'message';
          const data = /^data: ?(.*)$/m.exec(block)?.[1];
          if (event === 'connected' || event === 'ping') continue;
          let parsed: unknown = data;
          try {
            parsed = data === undefined ? null : JSON.parse(data);
          } catch {
            // Not JSON: kept as text.
          }
          return { event, data: parsed };
        }
        const chunk = await reader?.read();
        if (!chunk || chunk.done) return null;
        text += decoder.decode(chunk.value, { stream: true });
      }
    },
    close: () => reader?.cancel().catch(() => undefined),
  };
}

/** Options of a subscription call. */
export interface SubscriptionOptions {
  /**
   * Called once the stream is open and again every half second until an event arrives, e.g. to
   * make a change whose notice proves the stream is live (the server may still be checking the
   * caller when the stream opens). The call answers with the first event: a notice or an error.
   */
  whileOpen?: () => Promise<void>;
  /** How long to wait for that event before calling the stream open and silent (let in). */
  waitMs?: number;
}

/**
 * Calls one procedure over HTTP as a client without tRPC's client would: a query or a
 * subscription by GET with `?input=`, a mutation by POST with a JSON body.
 */
export async function callTrpc(
  baseUrl: string,
  path: string,
  type: ProcedureType,
  input: unknown,
  credentials: Credentials,
  subscription: SubscriptionOptions = {},
): Promise<TrpcAnswer> {
  const headers = headersFor(credentials);
  const query = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  if (type === 'subscription') {
    const response = await fetch(`${baseUrl}/trpc/${path}${query}`, {
      headers: { ...headers, accept: 'text/event-stream' },
    });
    if (!(response.headers.get('content-type') ?? '').includes('text/event-stream')) {
      const body = await response.json().catch(() => null);
      return { status: response.status, code: codeOf(body) ?? `HTTP_${response.status}`, body };
    }
    const events = sseReader(response);
    try {
      const waitMs = subscription.waitMs ?? 10_000;
      let timer: NodeJS.Timeout | undefined;
      const silent = new Promise<'silent'>((resolve) => {
        timer = setTimeout(() => resolve('silent'), waitMs);
      });
      const { whileOpen } = subscription;
      let poke: NodeJS.Timeout | undefined;
      const pokes = new Set<Promise<void>>();
      if (whileOpen) {
        await whileOpen();
        poke = setInterval(() => {
          const running = whileOpen();
          pokes.add(running);
          void running.finally(() => pokes.delete(running));
        }, 500);
      }
      const first = await Promise.race([events.next(), silent]);
      clearTimeout(timer);
      clearInterval(poke);
      // Nothing the caller started may still be writing when the next call is checked.
      await Promise.allSettled([...pokes]);
      if (first === 'silent' || first === null) return { status: response.status, code: null, body: first };
      // tRPC reports an error raised once the stream is open as a `serialized-error` event.
      if (first.event === 'serialized-error') {
        const code = (first.data as { data?: { code?: string } } | null)?.data?.code ?? 'UNKNOWN';
        return { status: response.status, code, body: first.data };
      }
      return { status: response.status, code: null, body: first.data };
    } finally {
      await events.close();
    }
  }
  const response =
    type === 'query'
      ? await fetch(`${baseUrl}/trpc/${path}${query}`, { headers })
      : await fetch(`${baseUrl}/trpc/${path}`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: input === undefined ? '' : JSON.stringify(input),
        });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: the status says enough.
  }
  const code = codeOf(body) ?? (response.ok ? null : `HTTP_${response.status}`);
  return { status: response.status, code, body };
}
