import { hostname } from 'node:os';
import { configureLoginThrottle } from '@switchboard/core';
import { closedPort } from '@switchboard/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tokenName } from '../../src/connect/sign-in.ts';
import { answers, commands, recorded, until } from '../support/fake-vscode.ts';
import { createHarness, type Harness } from '../support/harness.ts';
import { type SwitchboardFixture, startSwitchboard } from '../support/switchboard.ts';

describe('signing in with email and password', () => {
  let fixture: SwitchboardFixture;
  let harness: Harness | undefined;

  beforeAll(async () => {
    fixture = await startSwitchboard();
  });
  afterAll(() => fixture?.close());
  afterEach(() => {
    harness?.dispose();
    // Each test starts with a fresh login throttle.
    configureLoginThrottle(fixture.core, {});
  });

  it('offers both ways, makes a token named after the editor and machine, and keeps only the token', async () => {
    harness = createHarness(fixture.url);
    const { extension, secrets } = harness;
    answers.quickPick.push('Email and password');
    answers.inputBox.push(fixture.userEmail, fixture.password);
    const session = await extension.auth.createSession();
    expect(recorded.quickPicks[0]?.labels).toEqual(['Personal access token', 'Email and password']);
    // The email box shows what is typed, the password box does not.
    expect(recorded.inputBoxes.map((box) => box.password)).toEqual([false, true]);
    expect(session.account.label).toBe(fixture.userEmail);
    expect(session.accessToken).toMatch(/^sbp_/);
    expect(session.accessToken).not.toBe(fixture.token);
    await until(() => extension.connection.state.kind === 'connected');

    const tokens = await fixture.client.tokens.list.query();
    const made = tokens.find((token) => token.name === `Visual Studio Code on ${hostname()}`);
    expect(made).toBeDefined();
    expect(made?.expiresAt).not.toBeNull();
    const stored = [...secrets.values.values()].join('\n');
    expect(stored).toContain(session.accessToken);
    expect(stored).not.toContain(fixture.password);
    expect(recorded.log.join('\n')).not.toContain(fixture.password);

    // Retry after a typo is one Enter away: the way used last comes first.
    answers.quickPick.length = 0;
    await extension.auth.createSession().catch(() => undefined);
    expect(recorded.quickPicks.at(-1)?.labels).toEqual(['Email and password', 'Personal access token']);
  });

  it('says the email or password is wrong, offers Retry, and keeps nothing', async () => {
    harness = createHarness(fixture.url);
    answers.quickPick.push('Email and password');
    answers.inputBox.push(fixture.userEmail, 'not the password');
    await commands.executeCommand('switchboard.signIn');
    const shown = recorded.messages.find((message) => message.kind === 'error');
    expect(shown).toEqual({
      kind: 'error',
      text: `Wrong email or password for ${fixture.url}.`,
      actions: ['Retry'],
      modal: false,
    });
    expect(harness.secrets.values.size).toBe(0);
    expect(JSON.stringify(recorded)).not.toContain('not the password');
  });

  it('says when the server is slowing sign-ins down', async () => {
    harness = createHarness(fixture.url);
    // One failure makes the next attempt wait (held here), and nobody may queue behind it.
    let held = false;
    let release: () => void = () => undefined;
    configureLoginThrottle(fixture.core, {
      freeFailures: 0,
      maxWaiting: 0,
      sleep: () => {
        held = true;
        return new Promise((resolve) => (release = resolve));
      },
    });
    const bad = { email: fixture.userEmail, password: 'wrong password 1', name: 'x' };
    const { createSwitchboardClient } = await import('@switchboard/client');
    const anonymous = createSwitchboardClient({ url: fixture.url });
    await expect(anonymous.auth.createToken.mutate(bad)).rejects.toThrow('Wrong email or password');
    const waiting = anonymous.auth.createToken.mutate(bad).catch(() => undefined);
    await until(() => held);

    await expect(
      harness.extension.auth.signInWithPassword(fixture.url, fixture.userEmail, fixture.password),
    ).rejects.toThrow(new RegExp(`^Too many sign-in attempts at ${fixture.url}: .+\\.$`));
    release();
    await waiting;
    expect(harness.secrets.values.size).toBe(0);
  });

  it('says the server is unreachable, with Retry', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    harness = createHarness(url);
    answers.quickPick.push('Email and password');
    answers.inputBox.push(fixture.userEmail, fixture.password);
    await commands.executeCommand('switchboard.signIn');
    const shown = recorded.messages.find((message) => message.kind === 'error');
    expect(shown?.text).toBe(`Cannot reach the Switchboard server at ${url} (ECONNREFUSED).`);
    expect(shown?.actions).toEqual(['Retry']);
  });

  it('revokes the token it made at sign-out, but never a token the user pasted', async () => {
    harness = createHarness(fixture.url);
    const made = await harness.extension.auth.signInWithPassword(
      fixture.url,
      fixture.userEmail,
      fixture.password,
    );
    expect(made.tokenId).toBeDefined();
    await harness.extension.auth.removeSession();
    const tokens = await fixture.client.tokens.list.query();
    expect(tokens.find((token) => token.id === made.tokenId)?.revokedAt).not.toBeNull();
    expect(harness.secrets.values.size).toBe(0);

    await harness.extension.auth.signInWithToken(fixture.url, fixture.token);
    await harness.extension.auth.removeSession();
    // The fixture's client signs in with that very token: it still works.
    expect(await fixture.client.auth.me.query()).toMatchObject({ user: { email: fixture.userEmail } });
    expect(recorded.messages.filter((message) => message.kind === 'warning')).toEqual([]);
  });

  it('signs out even when the server cannot revoke the token, naming the token to revoke by hand', async () => {
    harness = createHarness(fixture.url);
    await harness.extension.auth.signInWithPassword(fixture.url, fixture.userEmail, fixture.password);
    const url = fixture.url;
    // The server goes away: the stored session of this URL stays, the revoke cannot reach it.
    const secrets = harness.secrets;
    harness.dispose();
    const port = await closedPort();
    const gone = `http://127.0.0.1:${port}`;
    const entry = secrets.values.get(`switchboard.session:${url}`) ?? '';
    secrets.values.set(`switchboard.session:${gone}`, entry.replace(url, gone));
    harness = createHarness(gone, undefined, secrets);
    await harness.extension.auth.removeSession();
    expect(secrets.values.has(`switchboard.session:${gone}`)).toBe(false);
    const warning = recorded.messages.find((message) => message.kind === 'warning');
    expect(warning?.text).toBe(
      `Signed out. Cannot reach the Switchboard server at ${gone} (ECONNREFUSED). The token "Visual Studio Code on ${hostname()}" made for this editor stays valid until it expires: revoke it in the console.`,
    );
  });

  it('names the token within the server limit', () => {
    expect(tokenName('Visual Studio Code', 'x'.repeat(200))).toHaveLength(100);
    expect(tokenName('code-server', 'devbox')).toBe('code-server on devbox');
  });
});
