import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { NodeView } from '../../src/tree/tree-model.ts';
import { answers, commands, recorded } from '../support/fake-vscode.ts';
import { connectedHarness, type Harness } from '../support/harness.ts';
import { type SwitchboardFixture, startSwitchboard } from '../support/switchboard.ts';

function row(harness: Harness, id: string): NodeView {
  const walk = (nodes: readonly NodeView[]): NodeView | undefined => {
    for (const node of nodes) {
      if (node.id === id) return node;
      const inner = node.children && walk(node.children);
      if (inner) return inner;
    }
    return undefined;
  };
  const found = walk(harness.extension.tree.roots);
  if (!found) throw new Error(`no row ${id}`);
  return found;
}

// Owners' and admins' actions, against a real server.
describe('managing from the editor', () => {
  let fixture: SwitchboardFixture;
  let harness: Harness;

  beforeAll(async () => {
    fixture = await startSwitchboard();
  });
  afterAll(() => fixture?.close());
  beforeEach(async () => {
    await fixture.client.defaults.set.mutate({
      workspaceId: fixture.workspaceId,
      provider: 'openai',
      model: { name: 'gpt-4o-mini', type: 'llm' },
    });
    harness = await connectedHarness(fixture);
  });
  afterEach(() => harness.dispose());

  it('sets the default chat model from the palette, and the status bar follows', async () => {
    answers.quickPick.push('Chat', 'openai/gpt-4o');
    await commands.executeCommand('switchboard.setDefaultModel');
    const defaults = await fixture.client.defaults.get.query({ workspaceId: fixture.workspaceId });
    expect(defaults.llm).toMatchObject({ provider: 'openai', model: 'gpt-4o' });
    expect(recorded.statusItems[0]?.text).toBe('$(plug) OpenAI · dev · gpt-4o');
    expect(recorded.quickPicks[1]?.labels).not.toContain('openai/text-embedding-3-small');
  });

  it('sets a model row as the default of its type without asking', async () => {
    await commands.executeCommand(
      'switchboard.setDefaultModel',
      row(harness, 'model/openai-compatible/llm/local-model'),
    );
    expect(recorded.quickPicks).toHaveLength(0);
    const defaults = await fixture.client.defaults.get.query({ workspaceId: fixture.workspaceId });
    expect(defaults.llm).toMatchObject({ provider: 'openai-compatible', model: 'local-model' });
  });

  it('disables and enables a model', async () => {
    await commands.executeCommand('switchboard.disableModel', row(harness, 'model/openai/llm/gpt-4o'));
    const status = async () =>
      (await fixture.client.models.list.query({ workspaceId: fixture.workspaceId, provider: 'openai' })).find(
        (model) => model.name === 'gpt-4o' && model.type === 'llm',
      )?.status;
    expect(await status()).toBe('disabled');
    expect(row(harness, 'model/openai/llm/gpt-4o').contextValue).toContain('disabled');
    await commands.executeCommand('switchboard.enableModel', row(harness, 'model/openai/llm/gpt-4o'));
    expect(await status()).toBe('active');
  });

  it("adds a key through the provider's form, the secret typed in a password box", async () => {
    answers.inputBox.push(
      'staging',
      'sk-test-fake-staging-0000005',
      '',
      '',
      `${fixture.upstream.url}/v1`,
      '',
    );
    await commands.executeCommand('switchboard.addCredential', row(harness, 'provider/openai'));
    expect(recorded.inputBoxes.map((box) => box.password)).toEqual([false, true, false, false, false, false]);
    const keys = await fixture.client.credentials.list.query({
      workspaceId: fixture.workspaceId,
      provider: 'openai',
    });
    expect(keys.map((key) => key.name)).toContain('staging');
    expect(JSON.stringify(row(harness, 'provider/openai/keys'))).toContain('"label":"staging"');
    expect(recorded.messages.at(-1)?.text).toBe('Key "staging" added to OpenAI.');
  });

  it("shows the provider's reason when it refuses a key, and adds nothing", async () => {
    answers.inputBox.push(
      'broken',
      'sk-test-fake-bad-000000000006',
      '',
      '',
      `${fixture.upstream.url}/v1`,
      '',
    );
    await commands.executeCommand('switchboard.addCredential', row(harness, 'provider/openai'));
    const error = recorded.messages.find((message) => message.kind === 'error');
    expect(error?.text).toMatch(/^Could not add the key: .*Incorrect API key provided/);
    expect(error?.text).not.toContain('sk-test-fake-bad');
    const keys = await fixture.client.credentials.list.query({
      workspaceId: fixture.workspaceId,
      provider: 'openai',
    });
    expect(keys.map((key) => key.name)).not.toContain('broken');
  });

  it('renames, tests and deletes a key', async () => {
    answers.inputBox.push('temp', 'sk-test-fake-temp-00000000007', '', '', `${fixture.upstream.url}/v1`, '');
    await commands.executeCommand('switchboard.addCredential', row(harness, 'provider/openai'));
    const added = (
      await fixture.client.credentials.list.query({ workspaceId: fixture.workspaceId, provider: 'openai' })
    ).find((key) => key.name === 'temp');
    if (!added) throw new Error('not added');

    answers.inputBox.push('temporary');
    await commands.executeCommand('switchboard.renameCredential', row(harness, `credential/${added.id}`));
    await commands.executeCommand('switchboard.testCredential', row(harness, `credential/${added.id}`));
    expect(recorded.messages.at(-1)?.text).toMatch(/^"temporary" works \(\d+ ms\)\.$/);

    answers.message.push('Delete');
    await commands.executeCommand('switchboard.removeCredential', row(harness, `credential/${added.id}`));
    const keys = await fixture.client.credentials.list.query({
      workspaceId: fixture.workspaceId,
      provider: 'openai',
    });
    expect(keys.map((key) => key.name)).not.toContain('temporary');
  });

  it('adds a custom model served by a key the provider already has', async () => {
    // No price typed: the model has none.
    answers.inputBox.push('gpt-4o-custom', '');
    answers.quickPick.push('Chat', 'Key "dev"');
    await commands.executeCommand('switchboard.addCustomModel', row(harness, 'provider/openai'));
    expect(recorded.messages.filter((message) => message.kind === 'error')).toEqual([]);
    const models = await fixture.client.models.list.query({
      workspaceId: fixture.workspaceId,
      provider: 'openai',
    });
    expect(models.find((model) => model.name === 'gpt-4o-custom')).toMatchObject({
      source: 'custom',
      status: 'active',
      pricing: null,
    });
  });

  it('adds a custom model with its price, refusing a price it cannot read', async () => {
    answers.inputBox.push('gpt-4o-priced', '0.5, 1.5');
    answers.quickPick.push('Chat', 'Key "dev"');
    await commands.executeCommand('switchboard.addCustomModel', row(harness, 'provider/openai'));
    expect(recorded.messages.filter((message) => message.kind === 'error')).toEqual([]);
    const priceBox = recorded.inputBoxes[1];
    for (const wrong of ['free', '-1', '0.5, 1.5, 2', '0.5;1.5'])
      expect(priceBox?.validation(wrong)).toBeTruthy();
    for (const right of ['', '0', '0.5', ' 0.5 , 1.5 ']) expect(priceBox?.validation(right)).toBeUndefined();
    const models = await fixture.client.models.list.query({
      workspaceId: fixture.workspaceId,
      provider: 'openai',
    });
    expect(models.find((model) => model.name === 'gpt-4o-priced')?.pricing).toEqual({
      inputPerMillion: 0.5,
      outputPerMillion: 1.5,
    });
  });
});
