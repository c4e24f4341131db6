import { createSwitchboardClient } from '@switchboard/client';
import { createPersonalAccessToken, createUser } from '@switchboard/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Access, accessOf, manageRefusal, sameAccess } from '../../src/connect/access.ts';
import type { NodeView } from '../../src/tree/tree-model.ts';
import { commands, recorded, until } from '../support/fake-vscode.ts';
import { createHarness, type Harness } from '../support/harness.ts';
import { type SwitchboardFixture, startSwitchboard } from '../support/switchboard.ts';

const ALL: Access['permissions'] = ['read', 'api-keys.own', 'manage'];

describe('what the signed-in principal may do', () => {
  it('refuses to manage for a role below admin, naming the role', () => {
    const member: Access = { role: 'editor', scopes: null, permissions: ['read', 'api-keys.own'] };
    expect(manageRefusal(member, 'Acme')).toBe(
      'Only owners and admins of Acme can do this; your role is editor.',
    );
  });

  it("refuses to manage for an owner's token without the manage scope, naming its scopes", () => {
    const readOnly: Access = {
      role: 'owner',
      scopes: ['read', 'api-keys.own'],
      permissions: ['read', 'api-keys.own'],
    };
    expect(manageRefusal(readOnly, 'Acme')).toBe(
      'This personal access token is limited to read, api-keys.own, without the manage scope: sign in with a token that has it to do this in Acme.',
    );
    expect(manageRefusal({ role: 'admin', scopes: ['manage'], permissions: ALL }, 'Acme')).toBeUndefined();
    expect(manageRefusal({ role: 'owner', scopes: null, permissions: ALL }, 'Acme')).toBeUndefined();
  });

  it('takes what the server says, and falls back to the role for a server that says nothing of scopes', () => {
    const workspace = { id: 'wsp_1', name: 'Acme' } as never;
    expect(accessOf({ workspace, role: 'owner', permissions: ['read'] }, ['read'])).toEqual({
      role: 'owner',
      scopes: ['read'],
      permissions: ['read'],
    });
    const older = (role: 'owner' | 'editor' | 'member') =>
      accessOf({ workspace, role } as never, undefined as never).permissions;
    expect([older('owner'), older('editor'), older('member')]).toEqual([
      ALL,
      ['read', 'api-keys.own'],
      ['read'],
    ]);
  });

  it('tells an unscoped token from one scoped to everything', () => {
    const unscoped: Access = { role: 'owner', scopes: null, permissions: ALL };
    expect(sameAccess(unscoped, { ...unscoped })).toBe(true);
    expect(sameAccess(unscoped, { ...unscoped, scopes: [] })).toBe(false);
    expect(sameAccess(unscoped, { ...unscoped, role: 'admin' })).toBe(false);
    expect(sameAccess(unscoped, { ...unscoped, permissions: ['read'] })).toBe(false);
  });
});

function rows(nodes: readonly NodeView[]): NodeView[] {
  return nodes.flatMap((node) => [node, ...rows(node.children ?? [])]);
}

/** The context values of every row that offers an action (has a tag after its kind). */
function taggedRows(harness: Harness): string[] {
  return rows(harness.extension.tree.roots)
    .map((node) => node.contextValue ?? '')
    .filter((value) => value.includes(' '));
}

// Against a real server: the token's scopes and the member's role decide what the editor offers.
describe('offering only what the server allows', () => {
  let fixture: SwitchboardFixture;
  let harness: Harness | undefined;

  beforeAll(async () => {
    fixture = await startSwitchboard();
  });
  afterAll(() => fixture?.close());
  afterEach(() => harness?.dispose());

  async function signIn(token: string): Promise<Harness> {
    const created = createHarness(fixture.url);
    await created.extension.auth.signInWithToken(fixture.url, token);
    await until(() => created.extension.data.snapshot !== undefined);
    return created;
  }

  it("hides an owner's actions behind a read-only token, and refuses them when run anyway", async () => {
    const { token } = await fixture.client.tokens.create.mutate({ name: 'read only', scopes: ['read'] });
    harness = await signIn(token);
    const { extension } = harness;
    expect(extension.connection.connected?.access).toEqual({
      role: 'owner',
      scopes: ['read'],
      permissions: ['read'],
    });
    expect(recorded.contexts.get('switchboard.connected')).toBe(true);
    expect(recorded.contexts.get('switchboard.canManage')).toBe(false);
    expect(taggedRows(harness)).toEqual([]);
    // The status bar shows the key but does not offer to switch it.
    expect(recorded.statusItems[0]?.text).toBe('$(plug) OpenAI · dev · gpt-4o-mini');
    expect(recorded.statusItems[0]?.command).toBeUndefined();
    expect(recorded.statusItems[0]?.tooltip).not.toContain('Click to switch');

    // From the palette: each refuses before asking anything, and the server keeps its state.
    const before = await fixture.client.credentials.list.query({
      workspaceId: fixture.workspaceId,
      provider: 'openai',
    });
    for (const command of [
      'switchboard.switchKey',
      'switchboard.activateCredential',
      'switchboard.setDefaultModel',
      'switchboard.addCredential',
      'switchboard.addCustomModel',
    ]) {
      recorded.messages.length = 0;
      expect(await commands.executeCommand(command)).toBe(false);
      expect(recorded.messages.at(-1)).toMatchObject({
        kind: 'warning',
        text: 'This personal access token is limited to read, without the manage scope: sign in with a token that has it to do this in Acme.',
      });
    }
    expect(recorded.quickPicks).toEqual([]);
    expect(recorded.inputBoxes).toEqual([]);
    expect(
      await fixture.client.credentials.list.query({ workspaceId: fixture.workspaceId, provider: 'openai' }),
    ).toEqual(before);
  });

  it("follows a member's role as it changes, from the change feed", async () => {
    const operator = { kind: 'system', label: 'cli' } as const;
    const user = await createUser(fixture.core, operator, {
      email: 'dev@example.test',
      name: 'Dev',
      password: 'a long enough password',
    });
    const { token } = await createPersonalAccessToken(
      fixture.core,
      { kind: 'user', userId: user.id },
      { name: 'vscode' },
    );
    const invitation = await fixture.client.members.invite.mutate({
      workspaceId: fixture.workspaceId,
      email: 'dev@example.test',
      role: 'editor',
    });
    const { member } = await createSwitchboardClient({ url: fixture.url, token }).members.accept.mutate({
      invitationId: invitation.id,
    });
    harness = await signIn(token);
    const { extension } = harness;
    expect(extension.connection.connected?.access).toMatchObject({ role: 'editor', scopes: null });
    expect(recorded.contexts.get('switchboard.canManage')).toBe(false);
    expect(taggedRows(harness)).toEqual([]);

    const changeRole = async (role: 'admin' | 'member') => {
      const current = (await fixture.client.members.list.query({ workspaceId: fixture.workspaceId })).find(
        (candidate) => candidate.id === member.id,
      );
      await fixture.client.members.changeRole.mutate({
        workspaceId: fixture.workspaceId,
        memberId: member.id,
        role,
        version: current?.version ?? 0,
      });
    };
    await changeRole('admin');
    await until(() => recorded.contexts.get('switchboard.canManage') === true);
    await until(() => taggedRows(harness as Harness).includes('provider switchable customizable manage'));
    expect(extension.connection.connected?.access.role).toBe('admin');

    await changeRole('member');
    await until(() => recorded.contexts.get('switchboard.canManage') === false);
    await until(() => taggedRows(harness as Harness).length === 0);
    expect(await extension.manage.setDefaultModel()).toBe(false);
    expect(recorded.messages.at(-1)?.text).toBe(
      'Only owners and admins of Acme can do this; your role is member.',
    );

    // Two changes in a row, then a rename: once the rename shows, the later role has won, however
    // the reads of the notices interleaved.
    await changeRole('admin');
    await changeRole('member');
    const acme = (await fixture.client.auth.me.query()).workspaces[0]?.workspace;
    await fixture.client.workspaces.rename.mutate({
      workspaceId: fixture.workspaceId,
      name: 'Acme 2',
      version: acme?.version ?? 0,
    });
    await until(() => extension.connection.connected?.workspace.name === 'Acme 2');
    expect(extension.connection.connected?.access.role).toBe('member');
    expect(recorded.contexts.get('switchboard.canManage')).toBe(false);
  });
});
