import type { CancelSignal } from '../spec/adapter.ts';
import { Agent, type Dispatcher, ProxyAgent, request } from 'undici';
import {
  AbortedError,
  MalformedResponseError,
  type ProviderError,
  TimeoutError,
  UpstreamUnavailableError,
} from '../spec/errors.ts';
import { redact } from './redact.ts';
import {
  type ErrorContext,
  errorForStatus,
  type ResponseHeaders,
  type UpstreamErrorInfo,
} from './upstream-errors.ts';

/** Timeouts of one upstream call, in milliseconds. */
export interface HttpTimeouts {
  /** TCP + TLS connect. */
  connectMs: number;
  /** From sending the request to the response headers (first byte). */
  firstByteMs: number;
  /** Longest silence between two body chunks (an idle stream). */
  idleMs: number;
}

export const DEFAULT_TIMEOUTS: HttpTimeouts = { connectMs: 10_000, firstByteMs: 300_000, idleMs: 120_000 };

/** How an adapter reaches its provider; every adapter factory accepts these. */
export interface HttpSettings {
  /** Keep-alive dispatcher shared by every call; tests inject their own. */
  dispatcher?: Dispatcher;
  timeouts?: Partial<HttpTimeouts>;
}

let sharedAgent: Agent | undefined;
/** The process-wide keep-alive pool: one per process, so connections are reused across adapters. */
export function sharedDispatcher(): Agent {
  sharedAgent ??= new Agent({
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
    // No per-origin cap: a thousand concurrent streams need a thousand upstream connections.
    connections: null,
    connect: { timeout: DEFAULT_TIMEOUTS.connectMs },
  });
  return sharedAgent;
}

const proxies = new Map<string, ProxyAgent>();
function proxyDispatcher(url: string, connectMs: number): ProxyAgent {
  let agent = proxies.get(url);
  if (!agent) {
    agent = new ProxyAgent({ uri: url, keepAliveTimeout: 30_000, connect: { timeout: connectMs } });
    proxies.set(url, agent);
  }
  return agent;
}

/** One upstream request. */
export interface HttpRequest {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  /** Objects are sent as JSON. */
  body?: unknown;
  signal: CancelSignal;
  /** Optional per-credential HTTP(S) proxy. */
  proxyUrl?: string | undefined;
}

/** A 2xx response whose body has not been read yet. */
export interface HttpResponse {
  status: number;
  headers: ResponseHeaders;
  body: AsyncIterable<Uint8Array>;
  /** Reads the whole body as text. */
  text(): Promise<string>;
  /** Reads the whole body as bytes (undici's own consumer: no stream iteration per chunk). */
  bytes(): Promise<Uint8Array>;
  /** Reads and parses the whole body; a body that is not JSON is a MalformedResponseError. */
  json<T>(): Promise<T>;
  /** Stops reading and releases the connection. */
  dump(): Promise<void>;
}

/** How to read a provider's error body into the shared terms. */
export type ErrorBodyReader = (text: string, status: number) => UpstreamErrorInfo;

/** An HTTP client bound to one provider: errors come back as that provider's ProviderErrors. */
export interface HttpClient {
  send(request: HttpRequest, context: ErrorContext): Promise<HttpResponse>;
}

/** Maps a transport failure (refused, reset, timed out, aborted) to a ProviderError. */
export function transportError(error: unknown, context: ErrorContext, signal: CancelSignal): ProviderError {
  const base = { provider: context.provider, cause: error };
  if (signal.aborted) return new AbortedError(base);
  const code = (error as { code?: string } | null)?.code ?? '';
  const text = redact(error instanceof Error ? error.message : String(error), context.secrets);
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new TimeoutError(`${context.label}: connecting timed out`, { ...base, field: 'base_url' });
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new TimeoutError(`${context.label}: no response within the first-byte timeout`, base);
    case 'UND_ERR_BODY_TIMEOUT':
      return new TimeoutError(`${context.label}: the response stalled (idle timeout)`, base);
    case 'ECONNREFUSED':
      return new UpstreamUnavailableError(`${context.label}: connection refused (${text})`, {
        ...base,
        field: 'base_url',
      });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new UpstreamUnavailableError(`${context.label}: host not found (${text})`, {
        ...base,
        field: 'base_url',
      });
    case 'UND_ERR_INVALID_ARG':
    case 'ERR_INVALID_URL':
      return new UpstreamUnavailableError(`${context.label}: invalid endpoint URL`, {
        ...base,
        field: 'base_url',
      });
    default:
      if (error instanceof TypeError && /url/i.test(text)) {
        return new UpstreamUnavailableError(`${context.label}: invalid endpoint URL`, {
          ...base,
          field: 'base_url',
        });
      }
      return new UpstreamUnavailableError(`${context.label}: ${text || code || 'connection failed'}`, base);
  }
}

async function* guardedBody(
  body: AsyncIterable<Uint8Array>,
  context: ErrorContext,
  signal: CancelSignal,
): AsyncIterable<Uint8Array> {
  try {
    for await (const chunk of body) yield chunk;
  } catch (error) {
    throw transportError(error, context, signal);
  }
}

/** Creates the client; `readErrorBody` turns the provider's error JSON into shared terms. */
export function createHttpClient(settings: HttpSettings, readErrorBody: ErrorBodyReader): HttpClient {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...settings.timeouts };
  return {
    async send(req, context) {
      const dispatcher =
        settings.dispatcher ??
        (req.proxyUrl ? proxyDispatcher(req.proxyUrl, timeouts.connectMs) : sharedDispatcher());
      const headers: Record<string, string> = { ...req.headers };
      let body: string | Uint8Array | undefined;
      if (req.body instanceof Uint8Array || typeof req.body === 'string') body = req.body;
      else if (req.body !== undefined) {
        body = JSON.stringify(req.body);
        headers['content-type'] ??= 'application/json';
      }
      let response: Dispatcher.ResponseData;
      try {
        response = await request(req.url, {
          method: req.method,
          headers,
          body,
          signal: req.signal,
          dispatcher,
          headersTimeout: timeouts.firstByteMs,
          bodyTimeout: timeouts.idleMs,
        });
      } catch (error) {
        throw transportError(error, context, req.signal);
      }
      const responseHeaders = response.headers as ResponseHeaders;
      if (response.statusCode < 200 || response.statusCode >= 300) {
        let text = '';
        try {
          text = await response.body.text();
        } catch (error) {
          throw transportError(error, context, req.signal);
        }
        throw errorForStatus(
          response.statusCode,
          readErrorBody(text, response.statusCode),
          responseHeaders,
          context,
        );
      }
      const stream = guardedBody(response.body, context, req.signal);
      const text = async () => {
        try {
          return await response.body.text();
        } catch (error) {
          throw transportError(error, context, req.signal);
        }
      };
      const bytes = async () => {
        try {
          return new Uint8Array(await response.body.arrayBuffer());
        } catch (error) {
          throw transportError(error, context, req.signal);
        }
      };
      return {
        status: response.statusCode,
        headers: responseHeaders,
        body: stream,
        text,
        bytes,
        async json<T>() {
          const raw = await text();
          try {
            return JSON.parse(raw) as T;
          } catch {
            throw new MalformedResponseError(`${context.label}: the response is not JSON`, {
              provider: context.provider,
              status: response.statusCode,
              upstreamMessage: redact(raw.slice(0, 200), context.secrets),
            });
          }
        },
        async dump() {
          await response.body.dump().catch(() => undefined);
        },
      };
    },
  };
}
