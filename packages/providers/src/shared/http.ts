import {
  AbortedError,
  type CancelSignal,
  MalformedResponseError,
  type ProviderError,
  TimeoutError,
  UpstreamUnavailableError,
} from '@switchboard/provider-spec';
import { Agent, type Dispatcher, ProxyAgent } from 'undici';
import { ADDRESS_REFUSED, assertHostAllowed, guardedConnector } from './address-guard.ts';
import { Exchange } from './exchange.ts';
import { redact, redactedExcerpt } from './redact.ts';
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

/** The most of an error body read into a message (a larger one is an HTML page or an echo, not a reason). */
const ERROR_BODY_MAX_CHARS = 65_536;

/** How an adapter reaches its provider; every adapter factory accepts these. */
export interface HttpSettings {
  /** Keep-alive dispatcher shared by every call; tests inject their own. */
  dispatcher?: Dispatcher;
  timeouts?: Partial<HttpTimeouts>;
  /**
   * Let calls reach link-local and cloud-metadata addresses (`SWITCHBOARD_ALLOW_METADATA_ADDRESSES`);
   * refused by default (decision 0021). Applies to the shared pool, not to an injected dispatcher.
   */
  allowMetadataAddresses?: boolean;
}

const sharedAgents = new Map<boolean, Agent>();
/**
 * The process-wide keep-alive pool: one per process (and address policy), so connections are
 * reused across adapters. Its connector refuses link-local and metadata addresses unless allowed.
 */
export function sharedDispatcher(allowMetadataAddresses = false): Agent {
  let agent = sharedAgents.get(allowMetadataAddresses);
  if (!agent) {
    agent = new Agent({
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      // No per-origin cap: a thousand concurrent streams need a thousand upstream connections.
      connections: null,
      connect: guardedConnector({ allowMetadataAddresses, timeout: DEFAULT_TIMEOUTS.connectMs }),
    });
    sharedAgents.set(allowMetadataAddresses, agent);
  }
  return agent;
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
  /** One header's first value (a lower-case name), without parsing them all. */
  header(name: string): string | undefined;
  body: AsyncIterable<Uint8Array>;
  /** Reads the whole body as text. */
  text(): Promise<string>;
  /** Reads the whole body as bytes (undici's own consumer: no stream iteration per chunk). */
  bytes(): Promise<Uint8Array>;
  /** Reads and parses the whole body; a body that is not JSON is a MalformedResponseError. */
  json<T>(): Promise<T>;
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
    case ADDRESS_REFUSED:
      return new UpstreamUnavailableError(`${context.label}: base_url ${text}`, {
        ...base,
        field: 'base_url',
      });
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

/** Origin and path of an endpoint URL; adapters build a handful of them, so they are parsed once. */
const endpoints = new Map<string, { origin: string; path: string }>();
function splitUrl(url: string): { origin: string; path: string } {
  let parts = endpoints.get(url);
  if (!parts) {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw Object.assign(new TypeError(`Unsupported URL protocol ${parsed.protocol}`), {
        code: 'ERR_INVALID_URL',
      });
    }
    parts = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
    // Bounded: base URLs come from configuration, but a flood of distinct ones must not grow it forever.
    if (endpoints.size >= 1_000) endpoints.clear();
    endpoints.set(url, parts);
  }
  return parts;
}

/** A 2xx-or-not upstream answer whose body is read through the Exchange it is. */
class UpstreamResponse extends Exchange implements HttpResponse {
  readonly #context: ErrorContext;

  constructor(signal: CancelSignal, context: ErrorContext) {
    super(signal);
    this.#context = context;
  }

  protected override mapError(error: unknown): unknown {
    return transportError(error, this.#context, this.signal);
  }

  get body(): AsyncIterable<Uint8Array> {
    return this;
  }

  async text(): Promise<string> {
    return (await this.bytes()).toString('utf8');
  }

  async json<T>(): Promise<T> {
    const raw = await this.text();
    try {
      return JSON.parse(raw) as T;
    } catch {
      const context = this.#context;
      throw new MalformedResponseError(`${context.label}: the response is not JSON`, {
        provider: context.provider,
        status: this.status,
        upstreamMessage: redactedExcerpt(raw, context.secrets, 200),
      });
    }
  }
}

/** Creates the client; `readErrorBody` turns the provider's error JSON into shared terms. */
export function createHttpClient(settings: HttpSettings, readErrorBody: ErrorBodyReader): HttpClient {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...settings.timeouts };
  return {
    async send(req, context) {
      const allowMetadata = settings.allowMetadataAddresses ?? false;
      const dispatcher =
        settings.dispatcher ??
        (req.proxyUrl ? proxyDispatcher(req.proxyUrl, timeouts.connectMs) : sharedDispatcher(allowMetadata));
      let headers = req.headers ?? {};
      let body: string | Uint8Array | undefined;
      if (req.body instanceof Uint8Array || typeof req.body === 'string') body = req.body;
      else if (req.body !== undefined) {
        body = JSON.stringify(req.body);
        if (headers['content-type'] === undefined)
          headers = { ...headers, 'content-type': 'application/json' };
      }
      const response = new UpstreamResponse(req.signal, context);
      try {
        const { origin, path } = splitUrl(req.url);
        // Through a proxy the proxy resolves the name, so only the URL's own host can be checked.
        if (req.proxyUrl && !settings.dispatcher && !allowMetadata)
          assertHostAllowed(new URL(origin).hostname);
        dispatcher.dispatch(
          {
            origin,
            path,
            method: req.method,
            headers,
            body,
            headersTimeout: timeouts.firstByteMs,
            bodyTimeout: timeouts.idleMs,
          },
          response,
        );
      } catch (error) {
        throw transportError(error, context, req.signal);
      }
      await response.started;
      const status = response.status;
      if (status < 200 || status >= 300) {
        // Secrets out first, before any reader cuts the text down to a message.
        const text = redactedExcerpt(await response.text(), context.secrets, ERROR_BODY_MAX_CHARS);
        throw errorForStatus(status, readErrorBody(text, status), response.headers, context);
      }
      return response;
    },
  };
}
