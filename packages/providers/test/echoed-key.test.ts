// Upstreams that echo the key back (whole, across the point where the message is cut, upper-cased,
// base64-encoded, spaced out, or a piece of it): no trace of it reaches the error an adapter
// throws, which is what the gateway shows a `/v1` caller.
import { type CannedResponse, type FakeUpstream, startFakeUpstream } from '@switchboard/test-utils';
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChatRequest, ProviderAdapter } from '@switchboard/provider-spec';
import { createAnthropicAdapter } from '../src/anthropic/index.ts';
import { createGeminiAdapter } from '../src/gemini/index.ts';
import { createOllamaAdapter } from '../src/ollama/index.ts';
import { createOpenAIAdapter } from '../src/openai/index.ts';
import { callContext, expectNoSecret, failure, secretTraces } from './provider-test-kit.ts';

// An obviously fake key, 44 characters like a real one.
const KEY = 'sk-test-fake-echo-abcdefghijklmnopqrstuvwxyz';

/** Filler that puts the key's first `before` characters (21 unless told) before a cut at `cut`. */
const across = (cut: number, before = 21) => `${'e'.repeat(cut - before)}${KEY} and more text after the key`;

/** The echoes, each as the body text an upstream sends back. */
const ECHOES: [label: string, body: string][] = [
  ['whole', `Incorrect API key provided: ${KEY}`],
  ['across the 500-character cut', across(500)],
  ['across the 200-character cut', across(200)],
  ['upper-cased', `INVALID KEY ${KEY.toUpperCase()}`],
  ['base64-encoded (Basic auth)', `Authorization: Basic ${Buffer.from(`user:${KEY}`).toString('base64')}`],
  ['base64-encoded (Bearer)', `bad header ${Buffer.from(`Bearer ${KEY}`).toString('base64url')}`],
  ['spaced out', `your key: ${KEY.split('').join(' ')}`],
  ['a 12-character piece', `the key ending ...${KEY.slice(-12)} is revoked`],
];

/** Each adapter, where its chat call goes, and the credentials that carry the key. */
const ADAPTERS: [
  name: string,
  create: (settings: { dispatcher: Agent }) => ProviderAdapter,
  path: string,
  credentials: (url: string) => Record<string, string>,
][] = [
  ['openai', createOpenAIAdapter, '/v1/chat/completions', (url) => ({ api_key: KEY, base_url: `${url}/v1` })],
  ['anthropic', createAnthropicAdapter, '/v1/messages', (url) => ({ api_key: KEY, base_url: url })],
  [
    'gemini',
    createGeminiAdapter,
    '/v1beta/models/test-model:generateContent',
    (url) => ({ api_key: KEY, base_url: url }),
  ],
  ['ollama', createOllamaAdapter, '/api/chat', (url) => ({ api_key: KEY, base_url: url })],
];

const request: ChatRequest = { model: 'test-model', messages: [{ role: 'user', content: 'Hi' }] };

let upstream: FakeUpstream;
let dispatcher: Agent;
beforeAll(async () => {
  upstream = await startFakeUpstream();
  dispatcher = new Agent({ keepAliveTimeout: 1_000 });
});
afterAll(async () => {
  await upstream.close();
  await dispatcher.close();
});
beforeEach(() => upstream.reset());

describe.each(ADAPTERS)('%s: an upstream that echoes the key', (name, create, path, credentials) => {
  const answers: [kind: string, canned: (body: string) => CannedResponse][] = [
    ['a 401 in plain text', (body) => ({ status: 401, headers: { 'content-type': 'text/plain' }, body })],
    [
      'a 401 as JSON',
      (body) => ({ status: 401, json: { error: { message: body, type: 'invalid_request_error' } } }),
    ],
    ['a 200 that is not JSON', (body) => ({ status: 200, headers: { 'content-type': 'text/html' }, body })],
  ];
  it('redacts before cutting: a key cut 7 characters in leaves none of them', async () => {
    upstream.route('POST', path, answers[0]![1](across(500, 7)));
    const adapter = create({ dispatcher });
    const error = await failure(adapter.chat?.(request, callContext(credentials(upstream.url))));
    expect(error.message).not.toContain(KEY.slice(0, 7));
    expect(error.upstreamMessage ?? '').not.toContain(KEY.slice(0, 7));
  });

  describe.each(answers)('in %s', (_kind, canned) => {
    it.each(ECHOES)('%s: leaves no trace of the key', async (_label, body) => {
      upstream.route('POST', path, canned(body));
      const adapter = create({ dispatcher });
      const error = await failure(adapter.chat?.(request, callContext(credentials(upstream.url))));
      expectNoSecret(error, name, KEY);
    });
  });
});

describe('the echo oracle', () => {
  it('sees every echo above in the raw bodies, and the cut ones in what stays before the cut', () => {
    for (const [label, body] of ECHOES) {
      expect(secretTraces(body, KEY), label).not.toEqual([]);
    }
    expect(secretTraces(across(500).slice(0, 500), KEY)).not.toEqual([]);
    expect(secretTraces(across(200).slice(0, 200), KEY)).not.toEqual([]);
  });
});
