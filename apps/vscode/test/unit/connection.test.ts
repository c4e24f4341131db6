import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closedPort } from '@switchboard/test-utils';
import {
  answers,
  changeSetting,
  FakeMemento,
  FakeSecretStorage,
  recorded,
  until,
} from '../support/fake-vscode.ts';
import { createHarness, type Harness } from '../support/harness.ts';
import { type SwitchboardFixture, startSwitchboard } from '../support/switchboard.ts';

describe('connecting to a server', () => {
  let fixture: SwitchboardFixture;
  let harness: Harness | undefined;

  beforeAll(async () => {
    fixture = await startSwitchboard({ secondWorkspace: 'Beta' });
  });
  afterAll(() => fixture?.close());
  afterEach(() => harness?.dispose());

  it('starts signed out, and signs in with a token typed into a password box', async () => {
    harness = createHarness(fixture.url);
    const { extension, secrets } = harness;
    expect(await extension.connection.connect()).toEqual({ kind: 'signed-out' });
    expect(recorded.statusItems[0]?.text).toContain('sign in');

    answers.quickPick.push('Personal access token', 'Acme');
    answers.inputBox.push(fixture.token);
    const session = await extension.auth.createSession();
    expect(recorded.inputBoxes[0]?.password).toBe(true);
    expect(session.account.label).toBe(fixture.userEmail);
    expect(session.accessToken).toBe(fixture.token);
    // Kept in secret storage only, keyed by server.
    expect([...secrets.values.keys()]).toEqual([`switchboard.session:${fixture.url}`]);
    await until(() => extension.connection.state.kind === 'connected');
    expect(extension.connection.connected?.workspace.name).toBe('Acme');
    expect(recorded.contexts.get('switchboard.connected')).toBe(true);
    expect(recorded.contexts.get('switchboard.canManage')).toBe(true);
    expect(await extension.auth.getSessions()).toHaveLength(1);
  });

  it('refuses what is not a personal access token before calling the server', async () => {
    harness = createHarness(fixture.url);
    answers.quickPick.push('Personal access token');
    answers.inputBox.push('sk-test-fake-not-a-token');
    await expect(harness.extension.auth.createSession()).rejects.toThrow('Canceled');
    expect(recorded.inputBoxes[0]?.validation('sk-test-fake-not-a-token')).toBe(
      'A personal access token starts with sbp_',
    );
    expect(harness.secrets.values.size).toBe(0);
  });

  it('asks which workspace when there are several, and remembers the choice per VS Code workspace', async () => {
    const memento = new FakeMemento();
    const secrets = new FakeSecretStorage();
    harness = createHarness(fixture.url, memento, secrets);
    answers.quickPick.push('Beta');
    await harness.extension.auth.signInWithToken(fixture.url, fixture.token);
    await until(() => harness?.extension.connection.state.kind === 'connected');
    expect(recorded.quickPicks[0]?.labels.sort()).toEqual(['Acme', 'Beta']);
    expect(harness.extension.connection.connected?.workspace.name).toBe('Beta');
    harness.dispose();

    // A new window on the same VS Code workspace: no question, same workspace.
    harness = createHarness(fixture.url, memento, secrets);
    await harness.extension.connection.connect();
    expect(recorded.quickPicks).toHaveLength(0);
    expect(harness.extension.connection.connected?.workspace.name).toBe('Beta');

    answers.quickPick.push('Acme');
    await harness.extension.connection.connect({ pick: true });
    expect(harness.extension.connection.connected?.workspace.name).toBe('Acme');
  });

  it('says the server is unreachable, offering Retry and the settings', async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}`;
    const secrets = new FakeSecretStorage();
    await secrets.store(
      `switchboard.session:${url}`,
      JSON.stringify({ token: fixture.token, serverUrl: url, userId: 'u', label: 'x' }),
    );
    harness = createHarness(url, new FakeMemento(), secrets);
    const state = await harness.extension.connection.connect();
    expect(state.kind).toBe('failed');
    const shown = recorded.messages.find((message) => message.kind === 'error');
    expect(shown?.text).toMatch(
      /^Cannot reach the Switchboard server at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)\.$/,
    );
    expect(shown?.actions).toEqual(['Retry', 'Open Settings']);
    expect(JSON.stringify(recorded.messages)).not.toContain(fixture.token);
  });

  it('tells a sign-in with a wrong token that the server refused it, and keeps nothing', async () => {
    harness = createHarness(fixture.url);
    await expect(
      harness.extension.auth.signInWithToken(fixture.url, 'sbp_testfakefakefakefakefake0000'),
    ).rejects.toThrow(/no longer accepts your token/);
    expect(harness.secrets.values.size).toBe(0);
  });

  it('says so clearly when secret storage does not work', async () => {
    const secrets = new FakeSecretStorage();
    secrets.failing = true;
    harness = createHarness(fixture.url, new FakeMemento(), secrets);
    const state = await harness.extension.connection.connect();
    expect(state.kind === 'failed' && state.failure.message).toMatch(
      /cannot use its secret storage \(no keyring available\)/,
    );
  });

  it('keeps one session per server URL: another URL is signed out, back again is signed in', async () => {
    harness = createHarness(fixture.url);
    answers.quickPick.push('Acme');
    await harness.extension.auth.signInWithToken(fixture.url, fixture.token);
    await until(() => harness?.extension.connection.state.kind === 'connected');
    changeSetting('switchboard.serverUrl', 'http://127.0.0.1:9');
    await until(() => harness?.extension.connection.state.kind === 'signed-out');
    changeSetting('switchboard.serverUrl', fixture.url);
    await until(() => harness?.extension.connection.state.kind === 'connected');
  });

  it('signs out: the token leaves secret storage and the views show the welcome', async () => {
    harness = createHarness(fixture.url);
    answers.quickPick.push('Acme');
    await harness.extension.auth.signInWithToken(fixture.url, fixture.token);
    await until(() => harness?.extension.connection.state.kind === 'connected');
    await harness.extension.auth.removeSession();
    await until(() => harness?.extension.connection.state.kind === 'signed-out');
    expect(harness.secrets.values.size).toBe(0);
    expect(recorded.contexts.get('switchboard.signedIn')).toBe(false);
    expect(harness.extension.tree.roots).toEqual([]);
  });
});
