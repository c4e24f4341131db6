// What each adapter does with each chat request parameter, so that none is dropped silently:
// the gateway refuses, before any upstream call, a parameter the adapter cannot honour.

/**
 * How an adapter honours one chat request parameter:
 * - `native`: sent to the provider (under its own name where it has one);
 * - `emulated`: honoured by other means, with the same effect for the client;
 * - `advisory`: a tag that does not change the answer (`user`, `metadata`), not sent;
 * - `{ values }`: honoured only at these values (the others are refused);
 * - `unsupported`: refused whenever it is set.
 */
export type ParameterSupport =
  | 'native'
  | 'emulated'
  | 'advisory'
  | 'unsupported'
  | { values: readonly unknown[] };

/** An adapter's declaration of the chat request parameters it honours. */
export interface ChatParameters {
  /** Every parameter the adapter knows, by its OpenAI name. */
  known: Readonly<Record<string, ParameterSupport>>;
  /**
   * Parameters not in `known`: `passed` when the body goes to the upstream as it is (it answers
   * for them, an unknown one is its 400), `unsupported` when the adapter builds its own body.
   */
  others: 'passed' | 'unsupported';
}

/** Parameters the gateway itself handles for every adapter (never refused). */
const GATEWAY_OWNED = new Set(['model', 'messages', 'stream', 'stream_options']);

/**
 * The first parameter of `request` the declaration does not honour, with the reason, or undefined
 * when every one is honoured. `null` counts as absent, as OpenAI's API treats it.
 */
export function unsupportedParameter(
  request: Readonly<Record<string, unknown>>,
  parameters: ChatParameters,
): { name: string; reason: string } | undefined {
  for (const name in request) {
    const value = request[name];
    if (value === undefined || value === null || GATEWAY_OWNED.has(name)) continue;
    const support = parameters.known[name];
    if (support === undefined) {
      if (parameters.others === 'passed') continue;
      return { name, reason: 'is not supported' };
    }
    if (support === 'unsupported') return { name, reason: 'is not supported' };
    if (typeof support === 'object' && !support.values.some((allowed) => sameValue(allowed, value))) {
      return {
        name,
        reason: `is supported only as ${support.values.map((v) => JSON.stringify(v)).join(' or ')}`,
      };
    }
  }
  return undefined;
}

/** Equality for the small JSON values a declaration lists (primitives, or `{ type }` objects). */
function sameValue(allowed: unknown, value: unknown): boolean {
  if (allowed === value) return true;
  if (typeof allowed !== 'object' || typeof value !== 'object' || allowed === null || value === null)
    return false;
  if (Array.isArray(allowed) && (!Array.isArray(value) || value.length !== allowed.length)) return false;
  const expected = allowed as Record<string, unknown>;
  const actual = value as Record<string, unknown>;
  for (const key in expected) if (!sameValue(expected[key], actual[key])) return false;
  return true;
}

/**
 * The parameters every adapter that builds its own body shares: OpenAI's tags that do not change
 * the answer, and the defaults clients send by habit (`n: 1`, `logprobs: false`), which are no-ops.
 */
export const COMMON_CHAT_PARAMETERS: Readonly<Record<string, ParameterSupport>> = {
  user: 'advisory',
  metadata: 'advisory',
  store: { values: [false] },
  service_tier: { values: ['auto', 'default'] },
  prompt_cache_key: 'advisory',
  safety_identifier: 'advisory',
  n: { values: [1] },
  logprobs: { values: [false] },
  top_logprobs: { values: [0] },
  logit_bias: 'unsupported',
  modalities: { values: [['text']] },
  audio: 'unsupported',
  prediction: 'unsupported',
  web_search_options: 'unsupported',
  functions: 'unsupported',
  function_call: 'unsupported',
  verbosity: 'unsupported',
};
