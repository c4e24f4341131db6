import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeView } from '../../src/tree/tree-model.ts';
import { window } from '../support/fake-vscode.ts';
import { connectedHarness } from '../support/harness.ts';
import { type SwitchboardFixture, startSwitchboard } from '../support/switchboard.ts';

// Issue 13, suite 2 (the extension's part of the secret-leak scan): the output channel logs every
// request the extension makes. A canary key the upstream echoes back, whole, upper-cased and
// base64-encoded, must leave no trace there, nor may the personal access token.

/** Obviously fake and unique; its random part has no hex letters, so it never matches an id by chance. */
const CANARY = `sk-test-fake-canary-${Array.from({ length: 24 }, () => 'ghjkmnpqrstvwxyz'[randomInt(16)]).join('')}`;
const ECHOES = [
  (key: string) => key,
  (key: string) => key.toUpperCase(),
  (key: string) => key.slice(0, 22),
  (key: string) => key.slice(22),
  (key: string) => Buffer.from(key).toString('base64'),
];

/** Runs of 8 letters and digits of `secret` (and of its base64 at each alignment) that `text` holds, case-insensitively. */
function traces(text: string, secret: string): number {
  const bare = (value: string) => value.toLowerCase().replace(/[^a-z0-9]/g, '');
  const haystack = bare(text);
  const needles = new Set<string>();
  const add = (source: string, length: number) => {
    for (let index = 0; index + length <= source.length; index++)
      needles.add(source.slice(index, index + length));
  };
  add(bare(secret), 8);
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.from(secret.slice(shift)).toString('base64');
    add(bare(encoded.slice(0, Math.floor((secret.length - shift) / 3) * 4)), 10);
  }
  return [...needles].filter((needle) => haystack.includes(needle)).length;
}

describe('the output channel and a key the upstream echoes back', () => {
  let fixture: SwitchboardFixture;
  const channels: { lines: string[] }[] = [];
  let echo = ECHOES[0] as (key: string) => string;

  beforeAll(async () => {
    fixture = await startSwitchboard();
    const create = window.createOutputChannel;
    window.createOutputChannel = () => {
      const channel = create();
      channels.push(channel);
      return channel;
    };
    // The canary is accepted when added, then refused on every call with the key echoed back.
    const canary = await fixture.client.credentials.create.mutate({
      workspaceId: fixture.workspaceId,
      provider: 'openai',
      name: 'leak-test',
      values: { api_key: CANARY, base_url: `${fixture.upstream.url}/v1` },
    });
    await fixture.client.credentials.activate.mutate({
      workspaceId: fixture.workspaceId,
      credentialId: canary.id,
    });
    const refuse = (_request: unknown, response: import('node:http').ServerResponse) => {
      const trace = echo(CANARY);
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          error: {
            message: `Incorrect API key provided: ${trace}`,
            type: 'invalid_request_error',
            param: trace,
          },
        }),
      );
    };
    fixture.upstream.route('POST', '/v1/chat/completions', refuse);
    fixture.upstream.route('GET', '/v1/models', refuse);
  });
  afterAll(() => fixture?.close());

  it('logs each request and its failure, with no trace of the key or the token', async () => {
    const harness = await connectedHarness(fixture);
    try {
      const [credential] = await fixture.client.credentials.list
        .query({
          workspaceId: fixture.workspaceId,
          provider: 'openai',
        })
        .then((all) => all.filter((each) => each.name === 'leak-test'));
      for (const each of ECHOES) {
        echo = each;
        await harness.extension.tryModel.run('openai/gpt-4o-mini', 'Say hello');
        await harness.extension.manage.testCredential({
          id: 'leak-test',
          label: 'leak-test',
          credential,
        } as NodeView);
      }
      const logged = channels.flatMap((channel) => channel.lines).join('\n');
      expect(logged).toMatch(/POST \/v1\/chat\/completions/);
      expect(logged).toMatch(/\[vsc-[0-9a-f-]{36}\] \d{3}/);
      expect(traces(logged, CANARY)).toBe(0);
      expect(logged).not.toContain(fixture.token);
    } finally {
      harness.dispose();
    }
  });
});
