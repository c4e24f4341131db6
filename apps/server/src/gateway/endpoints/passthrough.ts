import type { IncomingHttpHeaders } from 'node:http';
import type { ResolvedCredential } from '@switchboard/core';
import type { CancelSignal, NativeApi, NativeResponse, ProviderError } from '@switchboard/provider-spec';
import type { Route } from '../runtime.ts';
import type { TokenCount } from '../serve.ts';
import { topLevelMember, UNREAD } from '../top-level-member.ts';

// Passthrough: a request in a provider's own API (the Responses API to OpenAI, the Messages API to
// Anthropic) goes as it is and its answer's bytes come back unchanged; the gateway only reads what
// it needs on the way (usage, and the finished response for the Responses archive).

/** A relayed answer, begun: a whole body read, or a stream whose first chunk was read. */
export interface Relayed {
  relayed: true;
  contentType: string;
  /** The whole body (non-streaming calls). */
  whole?: Uint8Array;
  /** The stream and its first chunk (read inside the attempt, so a key failing now is replaced). */
  iterator?: AsyncIterator<Uint8Array>;
  first?: IteratorResult<Uint8Array>;
  /** The adapter's reading of an error event in the stream (absent: its events are never counted). */
  streamError?: NativeResponse['streamError'];
}

/** Whether the route's adapter relays `api` as it is. */
export const relays = (route: Route, api: NativeApi): boolean =>
  route.adapter.relay !== undefined && route.adapter.nativeApis?.includes(api) === true;

/** The client's protocol headers of the Messages API, to pass on. */
export function anthropicHeaders(headers: IncomingHttpHeaders | undefined): Record<string, string> {
  const relayed: Record<string, string> = {};
  for (const name of ['anthropic-version', 'anthropic-beta']) {
    const value = headers?.[name];
    if (typeof value === 'string') relayed[name] = value;
    else if (Array.isArray(value)) relayed[name] = value.join(',');
  }
  return relayed;
}

/** One relayed attempt with one credential. */
export async function relayAttempt(
  route: Route,
  api: NativeApi,
  body: Record<string, unknown>,
  headers: Record<string, string>,
  credential: ResolvedCredential,
  signal: CancelSignal,
  stream: boolean,
): Promise<Relayed> {
  const relay = route.adapter.relay as NonNullable<Route['adapter']['relay']>;
  const answer: NativeResponse = await relay.call(
    route.adapter,
    { api, body, headers },
    { credentials: credential.values, signal },
  );
  if (!stream) {
    const whole = answer.bytes ? await answer.bytes() : await readAll(answer.body);
    return { relayed: true, contentType: answer.contentType, whole };
  }
  const iterator = answer.body[Symbol.asyncIterator]();
  const relayed: Relayed = { relayed: true, contentType: answer.contentType, iterator };
  if (answer.streamError) relayed.streamError = answer.streamError.bind(answer);
  relayed.first = await iterator.next();
  return relayed;
}

async function readAll(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of body) parts.push(part);
  return parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts);
}

const decoder = new TextDecoder();

/** A relayed whole answer as a JSON object (read where it lies), or undefined when it is not one. */
export function relayedJson(whole: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(decoder.decode(whole));
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The `usage` member of a relayed whole answer (undefined when it has none or is not JSON): read
 * from the end of the bytes, or, when that cannot tell, by parsing them all.
 */
export function relayedUsage(whole: Uint8Array): unknown {
  const usage = topLevelMember(whole, 'usage');
  return usage === UNREAD ? relayedJson(whole)?.usage : usage;
}

/**
 * Reads server-sent events as they pass, handing the `data:` payloads that `wants` picks (by a
 * cheap substring test) to `onData`. Events split across chunks are joined.
 */
export class SseTap {
  #tail = '';
  /** Its own: a character split across two chunks waits in it for the rest of this stream alone. */
  readonly #decoder = new TextDecoder();
  readonly #wants: (line: string) => boolean;
  readonly #onData: (json: string) => void;

  constructor(wants: (line: string) => boolean, onData: (json: string) => void) {
    this.#wants = wants;
    this.#onData = onData;
  }

  /** Looks at one chunk; returns it unchanged (a StreamAnswer rewrite that rewrites nothing). */
  readonly see = (chunk: Uint8Array): Uint8Array => {
    const text = this.#tail + this.#decoder.decode(chunk, { stream: true });
    let start = 0;
    let end = text.indexOf('\n', start);
    while (end !== -1) {
      if (text.startsWith('data:', start)) {
        const line = text.slice(start + 5, end).trim();
        if (this.#wants(line)) this.#onData(line);
      }
      start = end + 1;
      end = text.indexOf('\n', start);
    }
    this.#tail = text.slice(start);
    return chunk;
  };
}

/** Anthropic's usage, as the usage record counts it: input includes cache reads and writes. */
export interface AnthropicUsageFields {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

/** Tokens of a Messages API usage object. */
export function anthropicTokens(usage: AnthropicUsageFields | undefined): TokenCount {
  if (!usage) return { tokensIn: 0, tokensOut: 0 };
  return {
    tokensIn:
      (usage.input_tokens ?? 0) +
      (usage.cache_creation_input_tokens ?? 0) +
      (usage.cache_read_input_tokens ?? 0),
    tokensOut: usage.output_tokens ?? 0,
  };
}

/**
 * The failure a relayed stream reported in an event of its own (Anthropic's `event: error`, the
 * Responses API's `response.failed` and `error`), as the adapter maps it: the event reaches the
 * client unchanged, and the gateway counts the failure against the key once the stream ended.
 */
export class RelayedFailure {
  /** The first failure the stream reported, if any. */
  error: ProviderError | undefined;
  readonly #read: Relayed['streamError'];

  constructor(read: Relayed['streamError']) {
    this.#read = read;
  }

  /** Looks at a parsed event that may report a failure. */
  see(event: Record<string, unknown>): void {
    if (this.error === undefined && this.#read) this.error = this.#read(event);
  }

  /** The failure, for StreamAnswer.failed. */
  readonly failed = (): ProviderError | undefined => this.error;
}

/** Whether a `data:` payload may be an error event of the Messages or the Responses API (a cheap test). */
export const mayReportFailure = (line: string): boolean =>
  line.includes('"type":"error"') || line.includes('"type":"response.failed"');

/**
 * Follows a relayed Messages API stream's usage (`message_start`, then cumulative
 * `message_delta`s) and any `event: error` midway.
 */
export class AnthropicUsageTap {
  usage: AnthropicUsageFields | undefined;
  readonly failure: RelayedFailure;
  readonly tap = new SseTap(
    (line) => line.includes('"usage"') || mayReportFailure(line),
    (json) => {
      try {
        const event = JSON.parse(json) as {
          type?: string;
          message?: { usage?: AnthropicUsageFields };
          usage?: AnthropicUsageFields;
        };
        if (event.type === 'message_start') this.usage = { ...event.message?.usage };
        else if (event.type === 'message_delta') this.usage = { ...this.usage, ...event.usage };
        else this.failure.see(event);
      } catch {
        // Not ours to judge: the client gets the bytes as they came.
      }
    },
  );

  constructor(streamError?: Relayed['streamError']) {
    this.failure = new RelayedFailure(streamError);
  }
}
