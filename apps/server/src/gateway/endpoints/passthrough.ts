import type { IncomingHttpHeaders } from 'node:http';
import type { ResolvedCredential } from '@switchboard/core';
import type { CancelSignal, NativeApi, NativeResponse } from '@switchboard/provider-spec';
import type { Route } from '../runtime.ts';
import type { TokenCount } from '../serve.ts';

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
  if (!stream) return { relayed: true, contentType: answer.contentType, whole: await readAll(answer.body) };
  const iterator = answer.body[Symbol.asyncIterator]();
  return { relayed: true, contentType: answer.contentType, iterator, first: await iterator.next() };
}

async function readAll(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of body) parts.push(part);
  return parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts);
}

const decoder = new TextDecoder();

/**
 * Reads server-sent events as they pass, handing the `data:` payloads that `wants` picks (by a
 * cheap substring test) to `onData`. Events split across chunks are joined.
 */
export class SseTap {
  #tail = '';
  readonly #wants: (line: string) => boolean;
  readonly #onData: (json: string) => void;

  constructor(wants: (line: string) => boolean, onData: (json: string) => void) {
    this.#wants = wants;
    this.#onData = onData;
  }

  /** Looks at one chunk; returns it unchanged (a StreamAnswer rewrite that rewrites nothing). */
  readonly see = (chunk: Uint8Array): Uint8Array => {
    const text = this.#tail + decoder.decode(chunk, { stream: true });
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

/** Follows a relayed Messages API stream's usage: `message_start`, then cumulative `message_delta`s. */
export class AnthropicUsageTap {
  usage: AnthropicUsageFields | undefined;
  readonly tap = new SseTap(
    (line) => line.includes('"usage"'),
    (json) => {
      try {
        const event = JSON.parse(json) as {
          type?: string;
          message?: { usage?: AnthropicUsageFields };
          usage?: AnthropicUsageFields;
        };
        if (event.type === 'message_start') this.usage = { ...event.message?.usage };
        else if (event.type === 'message_delta') this.usage = { ...this.usage, ...event.usage };
      } catch {
        // Not ours to judge: the client gets the bytes as they came.
      }
    },
  );
}
