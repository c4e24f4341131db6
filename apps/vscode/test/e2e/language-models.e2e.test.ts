import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { KEYS, type SwitchboardFixture, startSwitchboard } from '../support/switchboard.ts';
import { type CodeServer, isolatedEnv, startCodeServer } from './code-server.ts';
import { packageExtension, packageFolder } from './package-extension.ts';
import { clearScreenshots, launchBrowser, Workbench } from './workbench.ts';

const probeFolder = new URL('./lm-probe', import.meta.url).pathname;

/** A model as the probe extension got it from `vscode.lm.selectChatModels`. */
interface ProbedModel {
  id: string;
  name: string;
  vendor: string;
  family: string;
  maxInputTokens: number;
}

/** Every file under `dir` whose name matches. */
function findFiles(dir: string, pattern: RegExp): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => pattern.test(path) && statSync(path).isFile());
}

// The language model provider in a real VS Code 1.105.1 (code-server 4.105.1 on Node 22):
// another extension (test/e2e/lm-probe) reaches the workspace's models through vscode.lm, as
// VS Code's chat or any extension would, against a real Switchboard server and a fake OpenAI
// upstream. The chat view's model picker needs Copilot Chat, which is not available here.
describe('the workspace models in VS Code 1.105 (vscode.lm)', { timeout: 600_000 }, () => {
  let fixture: SwitchboardFixture;
  let codeServer: CodeServer;
  let browser: Browser;
  let workbench: Workbench;
  let workDir: string;

  beforeAll(async () => {
    clearScreenshots('lm-');
    workDir = mkdtempSync(join(tmpdir(), 'switchboard-vscode-lm-e2e-'));
    fixture = await startSwitchboard();
    codeServer = await startCodeServer({
      version: '4.105.1',
      vsix: [packageExtension(workDir), packageFolder(probeFolder, workDir, 'lm-probe')],
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

  afterAll(async () => {
    await browser?.close();
    await codeServer?.stop();
    await fixture?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  const keepEvidence = (name: string) =>
    onTestFailed(async () => {
      await workbench?.screenshot(`failed-lm-${name}`).catch(() => undefined);
    });

  /** Runs a probe command and returns what it wrote (its file is removed first, so this is this run's). */
  async function probe<T>(command: 'list' | 'ask'): Promise<T> {
    const file = join(codeServer.runDir, 'home', 'lm-probe', `${command}.json`);
    rmSync(file, { force: true });
    await workbench.runCommand(
      command === 'list' ? 'LM Probe: List Switchboard Models' : 'LM Probe: Ask Switchboard Model',
    );
    await expect.poll(() => existsSync(file), { timeout: 60_000 }).toBe(true);
    const result = JSON.parse(readFileSync(file, 'utf8')) as T & { error?: string };
    if (result.error) throw new Error(`the probe failed: ${result.error}`);
    return result;
  }

  /** The extension's output channel ("Switchboard"), as VS Code writes it to its log folder. */
  function extensionLog(): string {
    return findFiles(codeServer.runDir, /Switchboard\.log$/)
      .map((path) => readFileSync(path, 'utf8'))
      .join('\n');
  }

  async function chatModelIds(): Promise<string[]> {
    const models = await fixture.client.models.list.query({ workspaceId: fixture.workspaceId, type: 'llm' });
    return models
      .filter((model) => model.status === 'active')
      .map((model) => `${model.provider}/${model.name}`)
      .sort();
  }

  it('signs in with email and password, and vscode.lm.selectChatModels lists the workspace chat models', async () => {
    keepEvidence('1');
    await workbench.runCommand('Switchboard: Sign In');
    await workbench.pick('Email and password');
    await workbench.answerInput(fixture.userEmail);
    await workbench.answerInput(fixture.password);
    await workbench.statusItem('OpenAI · dev · gpt-4o-mini').waitFor({ timeout: 60_000 });

    const listed = await probe<{ models: ProbedModel[] }>('list');
    expect(listed.models.map((model) => model.id).sort()).toEqual(await chatModelIds());
    expect(listed.models.every((model) => model.vendor === 'switchboard')).toBe(true);
    expect(listed.models.find((model) => model.id === 'openai/gpt-4o-mini')).toMatchObject({
      name: 'OpenAI · gpt-4o-mini',
      family: 'gpt-4o-mini',
      maxInputTokens: 128_000 - 16_384,
    });
    await workbench.page
      .locator('.monaco-editor .view-lines', { hasText: 'openai/gpt-4o-mini' })
      .first()
      .waitFor();
    await workbench.screenshot('lm-1-models');
  });

  it('streams an answer through the gateway, piece by piece, with the workspace key', async () => {
    keepEvidence('2');
    const before = fixture.chatKeys().length;
    const asked = await probe<{ model: string; chunks: string[] }>('ask');
    expect(asked.chunks).toEqual(['Hello ', 'from ', 'the upstream']);
    expect(fixture.chatKeys().slice(before)).toEqual([KEYS.dev]);
    expect(extensionLog()).toMatch(/\[vsc-lm-[0-9a-f-]+\] 200 gpt-4o-mini/);
    expect(extensionLog()).not.toContain(fixture.password);
    const editorText = async () =>
      ((await workbench.page.locator('.monaco-editor .view-lines').first().textContent()) ?? '').replace(
        /\u00a0/g,
        ' ',
      );
    await expect.poll(editorText, { timeout: 60_000 }).toContain('Hello from the upstream');
    await workbench.screenshot('lm-2-answer');
  });

  it('offers a model added on the server without a restart: VS Code is told and asks again', async () => {
    keepEvidence('3');
    const asksBefore = extensionLog().split('VS Code asked for the list').length;
    await fixture.client.models.addCustom.mutate({
      workspaceId: fixture.workspaceId,
      provider: 'openai-compatible',
      model: { name: 'added-later', type: 'llm' },
      credential: { name: 'later', values: { api_key: KEYS.localB, base_url: `${fixture.upstream.url}/v1` } },
    });
    // The change event reached the workbench, which asked for the list again by itself.
    const changed = `the list changed (${(await chatModelIds()).length} chat models)`;
    const askedAfterChange = () => {
      const log = extensionLog();
      const at = log.lastIndexOf(changed);
      return at >= 0 && log.indexOf('VS Code asked for the list', at) > at;
    };
    await expect.poll(askedAfterChange, { timeout: 60_000 }).toBe(true);
    expect(extensionLog().split('VS Code asked for the list').length).toBeGreaterThan(asksBefore);

    const listed = await probe<{ models: ProbedModel[] }>('list');
    expect(listed.models.map((model) => model.id)).toContain('openai-compatible/added-later');
    expect(listed.models.map((model) => model.id).sort()).toEqual(await chatModelIds());
    await workbench.screenshot('lm-3-model-added');
  });
});
