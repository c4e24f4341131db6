import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError, streamChat } from '../../src/try/chat-stream.ts';
import { recorded } from '../support/fake-vscode.ts';
import { connectedHarness } from '../support/harness.ts';
import { KEYS, type SwitchboardFixture, startSwitchboard } from '../support/switchboard.ts';

// Through the real gateway (/v1 with a personal access token and the workspace header) to a fake upstream.
describe('trying a model', () => {
  let fixture: SwitchboardFixture;

  beforeAll(async () => {
    fixture = await startSwitchboard();
  });
  afterAll(() => fixture?.close());

  it('streams the reply in pieces, with model, usage and timing at the end', async () => {
    const pieces: string[] = [];
    const result = await streamChat(
      {
        serverUrl: fixture.url,
        token: fixture.token,
        workspaceId: fixture.workspaceId,
        model: 'default',
        prompt: 'hi',
        requestId: 'vsc-test-1',
      },
      (text) => pieces.push(text),
    );
    expect(pieces).toEqual(['Hello ', 'from ', 'the upstream']);
    expect(result).toMatchObject({
      model: 'gpt-4o-mini',
      completionId: 'chatcmpl-e2e-1',
      usage: { promptTokens: 7, completionTokens: 3 },
      finishReason: 'stop',
    });
    expect(result.firstTokenMs).toBeLessThanOrEqual(result.latencyMs);
    expect(fixture.chatKeys().at(-1)).toBe(KEYS.dev);
  });

  it("reports the gateway's status and code when the model does not exist", async () => {
    const error = await streamChat(
      {
        serverUrl: fixture.url,
        token: fixture.token,
        workspaceId: fixture.workspaceId,
        model: 'openai/no-such-model',
        prompt: 'hi',
        requestId: 'vsc-test-2',
      },
      () => undefined,
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).status).toBe(404);
    expect((error as GatewayError).message).toMatch(/no-such-model/);
  });

  it('writes the reply into a new document and logs the request id, never the token', async () => {
    const harness = await connectedHarness(fixture);
    try {
      const document = await harness.extension.tryModel.run('openai/gpt-4o-mini', 'Say hello');
      const text = document?.getText() ?? '';
      expect(text).toContain('> Say hello');
      expect(text).toContain('Hello from the upstream');
      expect(text).toMatch(
        /\*gpt-4o-mini · key "dev" · \d+ ms \(first token \d+ ms\) · 7 tokens in, 3 out · request vsc-[0-9a-f-]{36}\*/,
      );
      expect(recorded.statusItems[0]?.tooltip).toContain('Last served: gpt-4o-mini');
      expect(JSON.stringify(recorded)).not.toContain(fixture.token);
    } finally {
      harness.dispose();
    }
  });
});
