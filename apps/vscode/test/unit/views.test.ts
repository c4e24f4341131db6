import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessOf } from '../../src/connect/access.ts';
import type { Connected } from '../../src/connect/connection.ts';
import { activeKeyChanges } from '../../src/status/key-changes.ts';
import { noticeText } from '../../src/status/key-change-notifier.ts';
import { defaultChatStatus } from '../../src/status/status-text.ts';
import { keyPickItems } from '../../src/switch/switch-feature.ts';
import { switchTargets } from '../../src/switch/switch-targets.ts';
import { buildTree, type NodeView } from '../../src/tree/tree-model.ts';
import { keyNameFor, modelPickItems } from '../../src/try/try-feature.ts';
import { loadSnapshot, type Snapshot } from '../../src/workspace-data.ts';
import { KEYS, type SwitchboardFixture, startSwitchboard } from '../support/switchboard.ts';

function find(nodes: readonly NodeView[], id: string): NodeView {
  for (const node of nodes) {
    if (node.id === id) return node;
    const inner = node.children && findOrUndefined(node.children, id);
    if (inner) return inner;
  }
  throw new Error(`no node ${id}`);
}
function findOrUndefined(nodes: readonly NodeView[], id: string): NodeView | undefined {
  try {
    return find(nodes, id);
  } catch {
    return undefined;
  }
}

/** The row actions the manifest's `view/item/context` menus offer for a context value. */
function actionsFor(contextValue: string | undefined): string[] {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    contributes: { menus: { 'view/item/context': { command: string; when: string; group: string }[] } };
  };
  return manifest.contributes.menus['view/item/context']
    .filter((entry) =>
      [...entry.when.matchAll(/viewItem =~ \/(.+?)\/(?= |$)/g)].every((match) =>
        new RegExp(match[1] ?? '').test(contextValue ?? ''),
      ),
    )
    .map(
      (entry) =>
        `${entry.group.startsWith('inline') ? 'inline:' : ''}${entry.command.replace('switchboard.', '')}`,
    );
}

// View models over snapshots read from a real server.
describe('view models', () => {
  let fixture: SwitchboardFixture;
  let connected: Connected;
  let snapshot: Snapshot;

  beforeAll(async () => {
    fixture = await startSwitchboard();
    const me = await fixture.client.auth.me.query();
    const membership = me.workspaces[0];
    if (!membership) throw new Error('no workspace');
    connected = {
      serverUrl: fixture.url,
      token: fixture.token,
      client: fixture.client,
      user: me.user,
      workspace: membership.workspace,
      access: accessOf(membership, me.scopes),
      workspaces: me.workspaces,
    };
    snapshot = await loadSnapshot(connected);
  });
  afterAll(() => fixture?.close());

  it('shows the defaults, then each provider with its keys (active marked, masked) and models', () => {
    const tree = buildTree(snapshot);
    expect(tree.map((node) => node.label)).toEqual(['Default models', 'OpenAI', 'OpenAI-compatible API']);
    const chat = find(tree, 'defaults/llm');
    expect(chat).toMatchObject({ label: 'Chat', description: 'openai/gpt-4o-mini', icon: { id: 'pass' } });
    expect(find(tree, 'defaults/tts').description).toBe('not set');

    const openai = find(tree, 'provider/openai');
    expect(openai.description).toBe('dev · 19/19 models active');
    expect(openai.contextValue).toBe('provider switchable customizable manage');
    const dev = find(tree, `credential/${fixture.credentials.dev}`);
    const prod = find(tree, `credential/${fixture.credentials.prod}`);
    expect(dev).toMatchObject({
      label: 'dev',
      description: 'active · sk-************0001',
      contextValue: 'credential active manage',
    });
    expect(dev.icon?.id).toBe('pass-filled');
    expect(prod).toMatchObject({
      label: 'prod',
      description: 'sk-************0002',
      contextValue: 'credential inactive manage',
    });
    expect(JSON.stringify(tree)).not.toContain(KEYS.prod);

    const defaultModel = find(tree, 'model/openai/llm/gpt-4o-mini');
    expect(defaultModel.description).toBe('Chat · default');
    expect(defaultModel.icon?.id).toBe('star-full');
    expect(defaultModel.tooltip).toBeTruthy();
    // A custom model with keys of its own lists them, and can switch between them.
    const local = find(tree, 'model/openai-compatible/llm/local-model');
    expect(local.contextValue).toBe('model switchable enabled usable manage');
    // The default chat model cannot be made the default again; it can be disabled.
    expect(defaultModel.contextValue).toBe('model enabled manage');
    expect(local.children?.map((node) => node.label)).toEqual(['local-a', 'local-b']);
  });

  it("offers each row's actions through the manifest's menus", () => {
    const tree = buildTree(snapshot);
    expect(actionsFor(find(tree, 'provider/openai').contextValue)).toEqual([
      'inline:switchKey',
      'switchKey',
      'addCredential',
      'addCustomModel',
    ]);
    expect(actionsFor(find(tree, `credential/${fixture.credentials.prod}`).contextValue)).toEqual([
      'inline:activateCredential',
      'activateCredential',
      'testCredential',
      'renameCredential',
      'removeCredential',
    ]);
    expect(actionsFor(find(tree, `credential/${fixture.credentials.dev}`).contextValue)).toEqual([
      'testCredential',
      'renameCredential',
      'removeCredential',
    ]);
    expect(actionsFor(find(tree, 'defaults/llm').contextValue)).toEqual(['inline:setDefaultModel']);
    expect(actionsFor(find(tree, 'model/openai/llm/gpt-4o').contextValue)).toEqual([
      'setDefaultModel',
      'disableModel',
    ]);
    const member = buildTree({ ...snapshot, canManage: false });
    for (const id of [
      'provider/openai',
      `credential/${fixture.credentials.prod}`,
      'defaults/llm',
      'model/openai/llm/gpt-4o',
    ])
      expect(actionsFor(find(member, id).contextValue)).toEqual([]);
  });

  it('offers no switching to members who are not owners or admins', () => {
    const tree = buildTree({ ...snapshot, canManage: false });
    expect(find(tree, 'provider/openai').contextValue).toBe('provider');
    expect(find(tree, `credential/${fixture.credentials.prod}`).contextValue).toBe('credential');
    expect(find(tree, 'model/openai-compatible/llm/local-model').contextValue).toBe('model');
  });

  it('shows a model that cannot answer with its status and the reason in the tooltip', async () => {
    await fixture.client.models.disable.mutate({
      workspaceId: fixture.workspaceId,
      provider: 'openai',
      model: { name: 'gpt-4o', type: 'llm' },
    });
    const tree = buildTree(await loadSnapshot(connected));
    const disabled = find(tree, 'model/openai/llm/gpt-4o');
    expect(disabled.description).toBe('Chat · disabled');
    expect(disabled.icon?.id).toBe('circle-slash');
    expect(disabled.tooltip).toMatch(/disabled/i);
    await fixture.client.models.enable.mutate({
      workspaceId: fixture.workspaceId,
      provider: 'openai',
      model: { name: 'gpt-4o', type: 'llm' },
    });
  });

  it('lists what has keys to switch, and the keys of each with the active one marked', () => {
    const targets = switchTargets(snapshot);
    expect(targets.map((target) => [target.label, target.active?.name])).toEqual([
      ['OpenAI', 'dev'],
      ['OpenAI-compatible API · local-model', 'local-a'],
    ]);
    const items = keyPickItems(targets[0] as (typeof targets)[0]);
    expect(items.map((item) => [item.label, item.description])).toEqual([
      ['$(check) dev', 'active · sk-************0001'],
      ['$(key) prod', 'sk-************0002'],
    ]);
  });

  it('puts provider, key and model of the default chat model in the status bar', () => {
    const status = defaultChatStatus(snapshot, 'gpt-4o-mini-2024-07-18');
    expect(status.text).toBe('$(plug) OpenAI · dev · gpt-4o-mini');
    expect(status.tooltip).toContain('Last served: gpt-4o-mini-2024-07-18');
    expect(status.target?.key).toBe('openai');
    const none = defaultChatStatus({ ...snapshot, defaults: { ...snapshot.defaults, llm: null } });
    expect(none.text).toBe('$(plug) Switchboard: no default chat model');
    expect(none.target).toBeUndefined();
  });

  it('finds the keys switched between two reads, and words the notice', async () => {
    await fixture.client.credentials.activate.mutate({
      workspaceId: fixture.workspaceId,
      credentialId: fixture.credentials.prod,
    });
    const after = await loadSnapshot(connected);
    const changes = activeKeyChanges(snapshot, after);
    expect(changes).toEqual([
      {
        targetKey: 'openai',
        targetLabel: 'OpenAI',
        credentialId: fixture.credentials.prod,
        name: 'prod',
        previousName: 'dev',
      },
    ]);
    expect(noticeText(changes[0] as (typeof changes)[0], 'Ada')).toBe(
      'Ada switched the active key of OpenAI from "dev" to "prod".',
    );
    expect(noticeText(changes[0] as (typeof changes)[0], undefined)).toBe(
      'Someone switched the active key of OpenAI from "dev" to "prod".',
    );
    expect(activeKeyChanges(after, after)).toEqual([]);
    await fixture.client.credentials.activate.mutate({
      workspaceId: fixture.workspaceId,
      credentialId: fixture.credentials.dev,
    });
  });

  it('offers the default chat model first in "Try a model", then every chat model that can answer', () => {
    const items = modelPickItems(snapshot);
    expect(items[0]).toMatchObject({ model: 'default', description: 'openai/gpt-4o-mini' });
    expect(items.map((item) => item.model)).toContain('openai-compatible/local-model');
    expect(items.every((item) => item.model === 'default' || !item.model.includes('embedding'))).toBe(true);
    expect(keyNameFor(snapshot, 'default')).toBe('dev');
    expect(keyNameFor(snapshot, 'openai-compatible/local-model')).toBe('local-a');
  });
});
