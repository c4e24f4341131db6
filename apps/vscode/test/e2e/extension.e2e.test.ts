import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { createPersonalAccessToken, findUserByEmail } from '@switchboard/core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { KEYS, type SwitchboardFixture, startSwitchboard } from '../support/switchboard.ts';
import { type CodeServer, isolatedEnv, startCodeServer } from './code-server.ts';
import { packageExtension } from './package-extension.ts';
import { clearScreenshots, launchBrowser, Workbench } from './workbench.ts';

async function activeKeyOfOpenAI(fixture: SwitchboardFixture): Promise<string | undefined> {
  const providers = await fixture.client.providers.list.query({ workspaceId: fixture.workspaceId });
  return providers
    .find((provider) => provider.id === 'openai')
    ?.credentials.find((credential) => credential.active)?.name;
}

// The extension in a real VS Code (code-server 4.100.3 = VS Code 1.100.3), driven through its UI
// in Debian's chromium, against a real Switchboard server and a fake OpenAI upstream.
describe('the extension in VS Code 1.100', { timeout: 600_000 }, () => {
  let fixture: SwitchboardFixture;
  let codeServer: CodeServer;
  let browser: Browser;
  let workbench: Workbench;
  let workDir: string;

  beforeAll(async () => {
    // Only this run's screenshots stay (the language model suite's are its own).
    clearScreenshots(undefined);
    workDir = mkdtempSync(join(tmpdir(), 'switchboard-vscode-e2e-'));
    fixture = await startSwitchboard();
    const vsix = packageExtension(workDir);
    codeServer = await startCodeServer({
      vsix,
      settings: {
        'switchboard.serverUrl': fixture.url,
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'security.workspace.trust.enabled': false,
        'extensions.ignoreRecommendations': true,
        'telemetry.telemetryLevel': 'off',
      },
    });
    browser = await launchBrowser(isolatedEnv(join(codeServer.runDir, 'browser')));
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    workbench = new Workbench(page);
    const folder = join(workDir, 'project');
    mkdirSync(folder);
    await workbench.open(`${codeServer.url}/?folder=${encodeURIComponent(folder)}`);
  }, 600_000);

  // A failing step leaves a screenshot beside the others.
  const keepEvidence = (name: string) =>
    onTestFailed(async () => {
      await workbench?.screenshot(`failed-${name}`).catch(() => undefined);
    });

  afterAll(async () => {
    await browser?.close();
    await codeServer?.stop();
    await fixture?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('signs in with a personal access token and shows the providers, keys and default models', async () => {
    keepEvidence('1');
    await workbench.runCommand('Switchboard: Sign In');
    await workbench.pick('Personal access token');
    await workbench.answerInput(fixture.token);
    await workbench.statusItem('OpenAI · dev · gpt-4o-mini').waitFor({ timeout: 60_000 });
    await workbench.runCommand('View: Show Switchboard');
    await expect.poll(() => workbench.treeRow('Default models').isVisible(), { timeout: 60_000 }).toBe(true);
    await workbench.treeRow(/^OpenAI/).waitFor({ timeout: 60_000 });
    await workbench.treeRow(/^dev/).waitFor();
    expect(await workbench.treeRow(/^dev/).textContent()).toContain('active');
    expect(await workbench.treeRow(/^prod/).textContent()).not.toContain('active');
    // Keys are masked: first 3 and last 4 characters only.
    expect(await workbench.treeRow(/^prod/).textContent()).toContain('0002');
    expect(await workbench.page.content()).not.toContain(KEYS.prod);
    expect(await workbench.treeRow('Chat').textContent()).toContain('openai/gpt-4o-mini');
    await workbench.statusItem('OpenAI · dev · gpt-4o-mini').waitFor({ timeout: 60_000 });
    await workbench.screenshot('1-connected-tree');
  });

  it('switches the active key from the tree, confirmed, and the server has it', async () => {
    keepEvidence('2');
    const provider = workbench.treeRow(/^OpenAI/);
    await provider.hover();
    await provider.locator('.action-label[aria-label="Switch Active Key"]').click();
    await workbench.pick('prod');
    await workbench.dialogButton('Switch').click();
    await expect.poll(() => activeKeyOfOpenAI(fixture), { timeout: 60_000 }).toBe('prod');
    await workbench.statusItem('OpenAI · prod · gpt-4o-mini').waitFor({ timeout: 60_000 });
    await expect.poll(async () => (await workbench.treeRow(/^prod/).textContent()) ?? '').toContain('active');
    await workbench.screenshot('2-switched-to-prod');
  });

  it('shows a switch made through the API in the tree and the status bar, with a notice', async () => {
    keepEvidence('3');
    await fixture.client.credentials.activate.mutate({
      workspaceId: fixture.workspaceId,
      credentialId: fixture.credentials.dev,
    });
    await workbench
      .notification('switched the active key of OpenAI from "prod" to "dev"')
      .waitFor({ timeout: 60_000 });
    await workbench.statusItem('OpenAI · dev · gpt-4o-mini').waitFor({ timeout: 60_000 });
    await expect.poll(async () => (await workbench.treeRow(/^dev/).textContent()) ?? '').toContain('active');
    await workbench.screenshot('3-switched-elsewhere');
  });

  it('streams a reply from the default chat model into an editor, with the key and usage', async () => {
    keepEvidence('4');
    const before = fixture.chatKeys().length;
    await workbench.runCommand('Switchboard: Try a Model');
    await workbench.pick('Default chat model');
    await workbench.answerInput('Say hello');
    // The editor renders spaces as no-break spaces.
    const editorText = async () =>
      ((await workbench.page.locator('.monaco-editor .view-lines').first().textContent()) ?? '').replace(
        /\u00a0/g,
        ' ',
      );
    await expect.poll(editorText, { timeout: 60_000 }).toContain('Hello from the upstream');
    await expect.poll(editorText, { timeout: 60_000 }).toMatch(/key "dev".*7 tokens in, 3 out/);
    expect(fixture.chatKeys().slice(before)).toEqual([KEYS.dev]);
    await workbench.screenshot('4-try-a-model');
  });

  it('sets the default chat model from the Default models row, and the server has it', async () => {
    keepEvidence('5');
    const chat = workbench.treeRow(/^Chat/);
    await chat.hover();
    await chat.locator('.action-label[aria-label="Set Default Model"]').click();
    await workbench.pickExact('openai/gpt-4o');
    await expect
      .poll(
        async () =>
          (await fixture.client.defaults.get.query({ workspaceId: fixture.workspaceId })).llm?.model,
        {
          timeout: 60_000,
        },
      )
      .toBe('gpt-4o');
    await workbench.statusItem(/OpenAI · dev · gpt-4o$/).waitFor({ timeout: 60_000 });
    await expect.poll(async () => (await chat.textContent()) ?? '').toMatch(/openai\/gpt-4o$/);
    await workbench.screenshot('5-default-model-set');
  });

  it('says so, with Retry, when the server no longer accepts the token', async () => {
    keepEvidence('6');
    const tokens = await fixture.client.tokens.list.query();
    await fixture.client.tokens.revoke.mutate({ tokenId: tokens[0]?.id ?? '' });
    await workbench.runCommand('Switchboard: Refresh');
    const notice = workbench.notification('no longer accepts your token');
    await notice.waitFor({ timeout: 60_000 });
    expect(await notice.locator('.monaco-button', { hasText: 'Retry' }).count()).toBe(1);
    // Nothing stale stays on screen.
    await workbench.treeRow('Default models').waitFor({ state: 'detached' });
    await workbench.screenshot('6-token-revoked');
  });

  it("offers a read-only token none of an owner's actions, in the palette or the tree", async () => {
    keepEvidence('7');
    // The same owner, through a token that may only read (the one used so far is revoked).
    const owner = await findUserByEmail(fixture.core, fixture.userEmail);
    const { token } = await createPersonalAccessToken(
      fixture.core,
      { kind: 'user', userId: owner?.id ?? '' },
      { name: 'read only', scopes: ['read'] },
    );
    await workbench.runCommand('Notifications: Clear All Notifications');
    await workbench.runCommand('Switchboard: Sign In');
    await workbench.pick('Personal access token');
    await workbench.answerInput(token);
    await workbench.statusItem(/OpenAI · dev · gpt-4o$/).waitFor({ timeout: 60_000 });
    await workbench.treeRow(/^prod/).waitFor({ timeout: 60_000 });

    for (const title of [
      'Switchboard: Switch Active Key',
      'Switchboard: Set Default Model',
      'Switchboard: Add Key',
      'Switchboard: Add Custom Model',
    ])
      expect(await workbench.paletteOffers(title), title).toBe(false);
    expect(await workbench.paletteOffers('Switchboard: Try a Model')).toBe(true);
    await workbench.page.keyboard.press('Escape');

    // No inline actions on the rows an owner switches and sets defaults from.
    for (const [row, action] of [
      [/^OpenAI/, 'Switch Active Key'],
      [/^prod/, 'Make Active Key'],
      [/^Chat/, 'Set Default Model'],
    ] as const) {
      await workbench.treeRow(row).hover();
      expect(await workbench.treeRow(row).locator(`.action-label[aria-label="${action}"]`).count()).toBe(0);
    }
    // Nor in the row's context menu.
    await workbench.treeRow(/^OpenAI/).click({ button: 'right' });
    await workbench.page.waitForTimeout(1_000);
    expect(await workbench.page.locator('.context-view .action-label', { hasText: 'Add Key' }).count()).toBe(
      0,
    );
    await workbench.page.keyboard.press('Escape');
    // The palette listing what a read-only token is offered, for the screenshot.
    await workbench.page.keyboard.press('F1');
    await workbench.quickInput().fill('>Switchboard: ');
    await workbench.page
      .locator('.quick-input-list .monaco-list-row', { hasText: 'Try a Model' })
      .first()
      .waitFor();
    await workbench.screenshot('7-read-only-token');
    await workbench.page.keyboard.press('Escape');
  });
});
