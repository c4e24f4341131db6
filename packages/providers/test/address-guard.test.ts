import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { lookup as dnsLookup } from 'node:dns';
import { startFakeUpstream, type FakeUpstream } from '@switchboard/test-utils';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamUnavailableError } from '@switchboard/provider-spec';
import { callContext, failure } from './provider-test-kit.ts';
import { createOllamaAdapter } from '../src/ollama/index.ts';
import { createOpenAICompatibleAdapter } from '../src/openai-compatible/index.ts';
import {
  ADDRESS_REFUSED,
  guardedConnector,
  type LookupFunction,
  refusedHost,
} from '../src/shared/address-guard.ts';

const KEY = 'sk-test-fake-ssrf-0001';
let upstream: FakeUpstream;
let port: number;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  port = Number(new URL(upstream.url).port);
  upstream.route('GET', '/v1/models', { json: { object: 'list', data: [{ id: 'm1', object: 'model' }] } });
});
afterAll(() => upstream.close());

/** Counts the TCP client sockets Node creates while `run` runs (Node's `net.client.socket` channel). */
async function socketsOpenedBy(run: () => Promise<unknown>): Promise<number> {
  let sockets = 0;
  const onSocket = () => {
    sockets += 1;
  };
  subscribe('net.client.socket', onSocket);
  try {
    await run();
  } finally {
    unsubscribe('net.client.socket', onSocket);
  }
  return sockets;
}

/** A resolver that answers `answers[name]` in turn for test names and the system resolver otherwise. */
function fakeResolver(answers: Record<string, string[]>): LookupFunction {
  return (hostname, options, callback) => {
    const queue = answers[hostname];
    if (!queue) return (dnsLookup as LookupFunction)(hostname, options, callback);
    const address = queue.length > 1 ? queue.shift()! : queue[0]!;
    const family = address.includes(':') ? 6 : 4;
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

function agentWith(lookup: LookupFunction, allowMetadataAddresses = false): Agent {
  return new Agent({ connect: guardedConnector({ allowMetadataAddresses, timeout: 2_000, lookup }) });
}

describe('refusedHost', () => {
  it.each([
    '169.254.169.254',
    '169.254.0.1',
    '169.254.255.255',
    '100.100.100.200',
    '[fe80::1]',
    'fe80::a9fe:a9fe',
    'febf::1',
    'fd00:ec2::254',
    '[::ffff:a9fe:a9fe]',
    '::ffff:169.254.169.254',
    '64:ff9b::a9fe:a9fe',
    'metadata.google.internal',
    'METADATA.Google.Internal.',
    'metadata',
  ])('refuses %s', (host) => {
    expect(refusedHost(host)).toBeDefined();
  });

  it.each([
    '127.0.0.1',
    '[::1]',
    'localhost',
    '10.0.0.5',
    '172.16.0.1',
    '192.168.1.20',
    'fc00::1',
    'fd00:ec2::253',
    '169.253.255.255',
    '169.255.0.1',
    '100.100.100.201',
    'api.openai.com',
    'metadata.example.com',
  ])('allows %s (loopback, private ranges and public names stay reachable)', (host) => {
    expect(refusedHost(host)).toBeUndefined();
  });
});

describe('the shared pool refuses link-local and metadata base URLs', () => {
  it.each([
    'http://169.254.169.254/v1',
    'http://[fd00:ec2::254]/v1',
    'http://[::ffff:169.254.169.254]:80/v1',
    'http://2852039166/v1', // 169.254.169.254 as one number: the URL parser normalises it
    'http://metadata.google.internal/computeMetadata/v1',
    'http://100.100.100.200/latest',
  ])('validating %s fails on base_url without opening a socket', async (baseUrl) => {
    const adapter = createOpenAICompatibleAdapter({});
    let error: Awaited<ReturnType<typeof failure>> | undefined;
    const sockets = await socketsOpenedBy(async () => {
      error = await failure(adapter.validateCredentials(callContext({ base_url: baseUrl, api_key: KEY })));
    });
    expect(sockets).toBe(0);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error!.field).toBe('base_url');
    expect(error!.message).toMatch(/base_url .* is refused, it is a (link-local|cloud metadata)/);
    expect(error!.message).toContain('SWITCHBOARD_ALLOW_METADATA_ADDRESSES=1');
    expect(error!.message).not.toContain(KEY);
  });

  it('refuses the target named in the URL when the call goes through a per-credential proxy', async () => {
    const adapter = createOllamaAdapter({});
    const error = await failure(
      adapter.validateCredentials(
        callContext({ base_url: 'http://169.254.169.254:11434', proxy_url: upstream.url }),
      ),
    );
    expect(error.field).toBe('base_url');
    expect(upstream.requests).toHaveLength(0);
  });

  it('still reaches loopback (a local Ollama or model server)', async () => {
    const adapter = createOpenAICompatibleAdapter({});
    await expect(
      adapter.validateCredentials(callContext({ base_url: `${upstream.url}/v1`, api_key: KEY }), {
        model: 'm1',
        type: 'llm',
      }),
    ).resolves.toBeDefined();
  });
});

describe('the connector checks the address it connects to, after DNS', () => {
  it('refuses a name that resolves to a link-local address, with a clear field error', async () => {
    const dispatcher = agentWith(fakeResolver({ 'models.rebind.test': ['169.254.169.254'] }));
    const adapter = createOpenAICompatibleAdapter({ dispatcher });
    const error = await failure(
      adapter.validateCredentials(
        callContext({ base_url: `http://models.rebind.test:${port}/v1`, api_key: KEY }),
      ),
    );
    expect(error.field).toBe('base_url');
    expect(error.message).toContain('models.rebind.test (169.254.169.254) is refused');
    await dispatcher.close();
  });

  it('refuses a name that rebinds from loopback to fe80:: between two connections', async () => {
    const dispatcher = agentWith(fakeResolver({ 'llm.rebind.test': ['127.0.0.1', 'fe80::1'] }));
    const url = `http://llm.rebind.test:${port}/v1/models`;
    const first = await dispatcher.request({
      origin: new URL(url).origin,
      path: '/v1/models',
      method: 'GET',
      reset: true,
    });
    expect(first.statusCode).toBe(200);
    await first.body.text();
    // `reset` closed the first connection, so the second call resolves the name again.
    await expect(
      dispatcher.request({ origin: new URL(url).origin, path: '/v1/models', method: 'GET', reset: true }),
    ).rejects.toMatchObject({ code: ADDRESS_REFUSED });
    await dispatcher.close();
  });

  it('with the operator allowance, connects without checking names or addresses', async () => {
    const lookup = fakeResolver({ 'metadata.google.internal': ['127.0.0.1'] });
    const refusing = agentWith(lookup);
    const allowing = agentWith(lookup, true);
    const request = {
      origin: `http://metadata.google.internal:${port}`,
      path: '/v1/models',
      method: 'GET' as const,
    };
    await expect(refusing.request(request)).rejects.toMatchObject({ code: ADDRESS_REFUSED });
    const answer = await allowing.request(request);
    expect(answer.statusCode).toBe(200);
    await answer.body.text();
    await Promise.all([refusing.close(), allowing.close()]);
  });
});
