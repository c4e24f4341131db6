import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { commands } from '../support/fake-vscode.ts';
import { answers, recorded, until } from '../support/fake-vscode.ts';
import { connectedHarness, type Harness } from '../support/harness.ts';
import { type SwitchboardFixture, startSwitchboard } from '../support/switchboard.ts';

describe('switching keys', () => {
  let fixture: SwitchboardFixture;
  let harness: Harness;

  async function activeOf(provider: string): Promise<string | undefined> {
    const providers = await fixture.client.providers.list.query({ workspaceId: fixture.workspaceId });
    return providers
      .find((entry) => entry.id === provider)
      ?.credentials.find((credential) => credential.active)?.name;
  }

  beforeAll(async () => {
    fixture = await startSwitchboard();
  });
  afterAll(() => fixture?.close());
  beforeEach(async () => {
    await fixture.client.credentials.activate.mutate({
      workspaceId: fixture.workspaceId,
      credentialId: fixture.credentials.dev,
    });
    harness = await connectedHarness(fixture);
  });
  afterEach(() => harness.dispose());

  it('from the palette: picks what, then which key, confirms, and the server and the views have it', async () => {
    answers.quickPick.push('OpenAI', 'prod');
    answers.message.push('Switch');
    await commands.executeCommand('switchboard.switchKey');
    expect(recorded.quickPicks.map((pick) => pick.labels)).toEqual([
      ['OpenAI', 'OpenAI-compatible API · local-model'],
      ['$(check) dev', '$(key) prod'],
    ]);
    const confirm = recorded.messages.find((message) => message.modal);
    expect(confirm?.text).toBe('Make "prod" the active key of OpenAI?');
    expect(await activeOf('openai')).toBe('prod');
    expect(recorded.statusItems[0]?.text).toBe('$(plug) OpenAI · prod · gpt-4o-mini');
    expect(recorded.messages.at(-1)?.text).toBe('OpenAI now uses the key "prod".');
  });

  it('from a provider row: only the key is asked', async () => {
    const row = harness.extension.tree.roots.find((node) => node.id === 'provider/openai');
    answers.quickPick.push('prod');
    answers.message.push('Switch');
    await commands.executeCommand('switchboard.switchKey', row);
    expect(recorded.quickPicks).toHaveLength(1);
    expect(await activeOf('openai')).toBe('prod');
  });

  it("switches a custom model's own key", async () => {
    answers.quickPick.push('local-model', 'local-b');
    answers.message.push('Switch');
    expect(await harness.extension.switcher.switchKey(undefined)).toBe(true);
    const rings = await fixture.client.models.manageCredentials.query({
      workspaceId: fixture.workspaceId,
      provider: 'openai-compatible',
    });
    expect(rings[0]?.credentials.find((credential) => credential.active)?.name).toBe('local-b');
  });

  it('changes nothing when the confirmation is dismissed', async () => {
    answers.quickPick.push('OpenAI', 'prod');
    answers.message.push(undefined);
    await commands.executeCommand('switchboard.switchKey');
    expect(await activeOf('openai')).toBe('dev');
  });

  it('says the key is already active instead of switching', async () => {
    const snapshot = harness.extension.data.snapshot;
    const dev = snapshot?.providers[0]?.credentials.find((credential) => credential.active);
    if (!dev) throw new Error('no active key');
    expect(await harness.extension.switcher.activate(dev)).toBe(false);
    expect(recorded.messages.at(-1)?.text).toBe('"dev" is already the active key of OpenAI.');
  });

  it('notifies a switch made elsewhere, naming who, and not a switch made here', async () => {
    await fixture.client.credentials.activate.mutate({
      workspaceId: fixture.workspaceId,
      credentialId: fixture.credentials.prod,
    });
    await until(() => recorded.messages.some((message) => message.text.includes('switched the active key')));
    expect(recorded.messages.find((message) => message.text.includes('switched'))?.text).toBe(
      'You (in another window or the console) switched the active key of OpenAI from "dev" to "prod".',
    );
    await until(() => recorded.statusItems[0]?.text === '$(plug) OpenAI · prod · gpt-4o-mini');

    recorded.messages.length = 0;
    answers.quickPick.push('OpenAI', 'dev');
    answers.message.push('Switch');
    await commands.executeCommand('switchboard.switchKey');
    expect(await activeOf('openai')).toBe('dev');
    // Wait for the change feed's notice of our own switch to be read, then check nothing was said about it.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(recorded.messages.map((message) => message.text)).toEqual([
      'Make "dev" the active key of OpenAI?',
      'OpenAI now uses the key "dev".',
    ]);
  });

  it('shows a change made through the API in the tree without a manual refresh', async () => {
    await fixture.client.credentials.update.mutate({
      workspaceId: fixture.workspaceId,
      credentialId: fixture.credentials.prod,
      version:
        (
          await fixture.client.credentials.list.query({
            workspaceId: fixture.workspaceId,
            provider: 'openai',
          })
        ).find((credential) => credential.id === fixture.credentials.prod)?.version ?? 0,
      name: 'production',
    });
    await until(() => JSON.stringify(harness.extension.tree.roots).includes('"label":"production"'));
    await fixture.client.credentials.update.mutate({
      workspaceId: fixture.workspaceId,
      credentialId: fixture.credentials.prod,
      version:
        (
          await fixture.client.credentials.list.query({
            workspaceId: fixture.workspaceId,
            provider: 'openai',
          })
        ).find((credential) => credential.id === fixture.credentials.prod)?.version ?? 0,
      name: 'prod',
    });
  });
});
