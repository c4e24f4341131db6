import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { createSwitchboardClient, type SwitchboardClient } from '@switchboard/client';
import { type FakeUpstream, fixture, type RecordedRequest, startFakeUpstream } from '@switchboard/test-utils';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  accessibilityProblems,
  type ConsoleHarness,
  signIn,
  signInAsNewMember,
  startConsoleHarness,
} from './harness.ts';

// The reference page's model flows, top to bottom, as an admin does them in a real browser:
// custom models and their own keys, Manage credentials, removing and re-adding, enabling,
// discovery from a local Ollama, and load balancing with live rests. Real server on SQLite,
// local upstreams speaking OpenAI's and Ollama's wire formats.

const OWNER = { email: 'models-admin@example.test', password: 'a long enough password' };
const MEMBER = { email: 'models-member@example.test', password: 'another long password' };
const KEYS = ['sk-test-fake-model-0001', 'sk-test-fake-model-0002', 'sk-test-fake-model-0003'];
const MODEL = 'qwen2.5-7b';
/** Recorded Ollama answers, from the Ollama adapter's own tests. */
const OLLAMA_FIXTURES = new URL('../../../packages/providers/src/ollama/index.ts', import.meta.url);

function refuse(response: ServerResponse, status: number, message: string, code: string): void {
  response.writeHead(status, { 'content-type': 'application/json', 'retry-after': '300' });
  response.end(JSON.stringify({ error: { message, type: 'invalid_request_error', param: null, code } }));
}

/** An OpenAI-compatible server (vLLM-like): fake keys accepted, chat calls rate limited. */
function fakeVllm(upstream: FakeUpstream): void {
  upstream.route('GET', '/v1/models', (request: RecordedRequest, response: ServerResponse) => {
    if (!(request.headers.authorization ?? '').startsWith('Bearer sk-test-fake-model-')) {
      refuse(response, 401, 'Invalid API key', 'invalid_api_key');
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        object: 'list',
        data: [MODEL, 'llama-3-8b'].map((id) => ({ id, object: 'model', created: 0, owned_by: 'vllm' })),
      }),
    );
  });
  // Every key is rate limited for five minutes: the gateway rests each one it tries.
  upstream.route('POST', '/v1/chat/completions', (_request: RecordedRequest, response: ServerResponse) =>
    refuse(response, 429, 'Rate limit reached for requests', 'rate_limit_exceeded'),
  );
}

/** An Ollama server with a chat model and an embedding model loaded. */
function fakeOllama(upstream: FakeUpstream): void {
  const tags = JSON.parse(fixture(OLLAMA_FIXTURES, 'tags.json')) as { models: { name: string }[] };
  const loaded = ['llama3.2:latest', 'nomic-embed-text:latest'];
  upstream.route('GET', '/api/tags', {
    json: { models: tags.models.filter((model) => loaded.includes(model.name)) },
  });
  const shows: Record<string, string> = {
    'llama3.2:latest': 'show-llama3.2.json',
    'nomic-embed-text:latest': 'show-nomic-embed-text.json',
  };
  upstream.route('POST', '/api/show', (request: RecordedRequest, response: ServerResponse) => {
    const file = shows[(request.json() as { model: string }).model];
    response.writeHead(file ? 200 : 404, { 'content-type': 'application/json' });
    response.end(file ? fixture(OLLAMA_FIXTURES, file) : JSON.stringify({ error: 'model not found' }));
  });
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core's WCAG 2.1 A/AA problems outside the workspace header. The header (the live
 * indicator, the account menu) is the workspace layout's, and is checked in light mode by the
 * other flows; in dark mode these tests are about the providers page and its dialogs.
 */
async function problemsOutsideHeader(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate<string[]>(`axe
    .run({ exclude: [['header']] }, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
    .then((result) => result.violations.map((violation) =>
      violation.id + ': ' + violation.nodes.map((node) => node.target.join(' ')).join(', ')))`);
}

describe('models in the console', () => {
  let harness: ConsoleHarness;
  let vllm: FakeUpstream;
  let mirror: FakeUpstream;
  let ollama: FakeUpstream;
  let owner: SwitchboardClient;
  let workspaceId: string;
  let context: BrowserContext;
  let page: Page;

  const card = (provider: string, on: Page = page) => on.locator(`[data-provider="${provider}"]`);
  const row = (name: string, on: Page = page) => on.locator(`[data-model="${name}"]`);
  const ref = { name: MODEL, type: 'llm' as const };

  beforeAll(async () => {
    [vllm, mirror, ollama] = await Promise.all([
      startFakeUpstream(),
      startFakeUpstream(),
      startFakeUpstream(),
    ]);
    fakeVllm(vllm);
    fakeVllm(mirror);
    fakeOllama(ollama);
    harness = await startConsoleHarness();
    const setup = await createSwitchboardClient({ url: harness.server.url }).auth.setup.mutate({
      ...OWNER,
      workspaceName: 'Models',
    });
    workspaceId = setup.workspace.id;
    owner = createSwitchboardClient({ url: harness.server.url, token: setup.token });
    await owner.providers.install.mutate({ workspaceId, provider: 'openai-compatible' });
    ({ context, page } = await harness.newPage());
    await signIn(page, OWNER, `/w/${workspaceId}/providers`);
  });
  // A flow that fails leaves its dialogs open; close them so the next flow starts on the page.
  afterEach(async () => {
    const open = page.locator('[role="dialog"], [role="alertdialog"]');
    for (let attempt = 0; attempt < 4 && (await open.count()) > 0; attempt++)
      await page.keyboard.press('Escape');
  });
  afterAll(async () => {
    await context?.close();
    await harness?.close();
    await Promise.all([vllm?.close(), mirror?.close(), ollama?.close()]);
  });

  async function addModel(name: string, keyName: string, key: string): Promise<void> {
    await card('openai-compatible').getByRole('button', { name: 'Add model' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a model to OpenAI-compatible API' });
    await dialog.getByLabel('Model name').fill(name);
    await dialog.getByLabel('Key name').fill(keyName);
    await dialog.getByLabel('API base URL').fill(`${vllm.url}/v1`);
    await dialog.getByLabel('API key').fill(key);
    await dialog.getByRole('button', { name: 'Test & Add' }).click();
    await dialog.waitFor({ state: 'detached' });
  }

  async function openConfigure(name: string): Promise<Locator> {
    await row(name)
      .getByRole('button', { name: `Configure ${name}` })
      .click();
    const dialog = page.getByRole('dialog', { name: `${name} keys` });
    await dialog.waitFor();
    return dialog;
  }

  async function close(dialog: Locator): Promise<void> {
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  }

  it('lists a custom model under its provider; adding it again attaches the key to the existing model', async () => {
    await addModel(MODEL, 'vllm-a', KEYS[0]!);
    await page.getByText(`${MODEL} added`).waitFor();
    await addModel(MODEL, 'vllm-b', KEYS[1]!);
    await page.getByText(`${MODEL} already existed`).waitFor();
    await page.getByText('The key was added to the existing model').waitFor();

    const toggle = card('openai-compatible').getByRole('button', { name: 'Show 1 model' });
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    // Keyboard first: the disclosure opens with Enter.
    await toggle.focus();
    await page.keyboard.press('Enter');
    const status = row(MODEL).getByTestId('model-status');
    await status.waitFor();
    expect(await status.textContent()).toMatch(/Active\s*· Uses credential "vllm-a"/);
    expect(
      await row(MODEL)
        .getByRole('switch', { name: `Enable ${MODEL}` })
        .getAttribute('aria-checked'),
    ).toBe('true');
    expect(await page.locator('[data-model]').count()).toBe(1);
    await harness.screenshot(page, 'models-01-listed-under-provider');
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it("switches a model's active key, and asks for the key again when its endpoint changes", async () => {
    const keys = await openConfigure(MODEL);
    await keys.locator('[data-credential="vllm-b"]').getByRole('button', { name: 'Make active' }).click();
    await keys.locator('[data-credential="vllm-b"]').getByText('Active', { exact: true }).waitFor();
    await page.getByText('vllm-b is now the active key').waitFor();
    await row(MODEL).getByText('Uses credential "vllm-b"').waitFor();
    await harness.screenshot(page, 'models-02-model-keys');
    expect(await accessibilityProblems(page)).toEqual([]);

    await keys.getByRole('button', { name: 'Edit vllm-a' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit vllm-a' });
    expect(await edit.getByLabel('API key').inputValue()).toBe('');
    expect(await edit.getByLabel('API key').getAttribute('placeholder')).toBe('sk-••••0001');
    await edit.getByLabel('API base URL').fill(`${mirror.url}/v1`);
    await edit.getByRole('button', { name: 'Test & Save' }).click();
    // The key is only ever sent where it was saved for: a new endpoint needs it typed again.
    const again = edit.locator('#field-api_key-error');
    await again.waitFor();
    expect(await again.textContent()).toContain('The endpoint changed');
    expect(mirror.requests.length).toBe(0);
    await harness.screenshot(page, 'models-03-endpoint-asks-key-again');
    await edit.getByLabel('API key').fill(KEYS[0]!);
    await edit.getByRole('button', { name: 'Test & Save' }).click();
    await edit.waitFor({ state: 'detached' });
    expect(mirror.requests.length).toBe(1);
    const [ring] = await owner.models.manageCredentials.query({ workspaceId, provider: 'openai-compatible' });
    expect(ring?.credentials.find((credential) => credential.name === 'vllm-a')?.values.base_url).toBe(
      `${mirror.url}/v1`,
    );
    await close(keys);
  });

  it('disables and enables a model with its switch; defaults and changes made through the API show live', async () => {
    await row(MODEL)
      .getByRole('switch', { name: `Enable ${MODEL}` })
      .focus();
    await page.keyboard.press('Space');
    await page.getByText(`${MODEL} disabled`).waitFor();
    await row(MODEL).getByText('Disabled in the model settings').waitFor();
    expect(await row(MODEL).getByRole('switch').getAttribute('aria-checked')).toBe('false');
    await row(MODEL)
      .getByRole('switch', { name: `Enable ${MODEL}` })
      .click();
    await page.getByText(`${MODEL} enabled`).waitFor();
    await row(MODEL).getByText('Uses credential "vllm-b"').waitFor();

    await page.evaluate("document.body.dataset.loadedOnce = 'yes'");
    await owner.defaults.set.mutate({ workspaceId, provider: 'openai-compatible', model: ref });
    await row(MODEL).getByText('Default', { exact: true }).waitFor();
    const [model] = await owner.models.list.query({ workspaceId, provider: 'openai-compatible' });
    await owner.models.disable.mutate({
      workspaceId,
      provider: 'openai-compatible',
      model: ref,
      version: model!.version,
    });
    await row(MODEL).getByText('Disabled in the model settings').waitFor();
    expect(await row(MODEL).getByRole('switch').getAttribute('aria-checked')).toBe('false');
    await owner.models.enable.mutate({ workspaceId, provider: 'openai-compatible', model: ref });
    await row(MODEL).getByText('Uses credential "vllm-b"').waitFor();
    expect(await page.evaluate('document.body.dataset.loadedOnce')).toBe('yes');
    await harness.screenshot(page, 'models-04-default-marked');
  });

  it("manages every custom model's keys, removes a model and re-adds it with the keys it kept", async () => {
    await card('openai-compatible').getByRole('button', { name: 'Manage credentials' }).click();
    const all = page.getByRole('dialog', { name: 'OpenAI-compatible API model credentials' });
    const ring = all.locator(`[data-ring="${MODEL}"]`);
    await ring.locator('[data-credential="vllm-a"]').waitFor();
    await ring.locator('[data-credential="vllm-b"]').getByText('Active', { exact: true }).waitFor();
    await close(all);

    const keys = await openConfigure(MODEL);
    await keys.getByRole('button', { name: 'Remove model…' }).click();
    const confirm = page.getByRole('alertdialog');
    await confirm.getByText(`Remove ${MODEL}?`).waitFor();
    await confirm.getByRole('button', { name: 'Remove model' }).click();
    await page.getByText(`${MODEL} removed`).waitFor();
    await keys.waitFor({ state: 'detached' });
    await row(MODEL).waitFor({ state: 'detached' });
    expect(await owner.models.list.query({ workspaceId, provider: 'openai-compatible' })).toEqual([]);

    await card('openai-compatible').getByRole('button', { name: 'Manage credentials' }).click();
    await ring.getByText('Removed', { exact: true }).waitFor();
    expect(await ring.locator('[data-credential]').count()).toBe(2);
    await harness.screenshot(page, 'models-05-removed-keys-kept');
    expect(await accessibilityProblems(page)).toEqual([]);
    await ring.getByRole('button', { name: `Re-add ${MODEL}` }).click();
    await page.getByText(`${MODEL} is back`).waitFor();
    await ring.getByText('Removed', { exact: true }).waitFor({ state: 'detached' });
    await close(all);
    await row(MODEL).getByText('Uses credential "vllm-b"').waitFor();
  });

  it("deletes a model's only key after a confirmation that says the model goes too", async () => {
    await addModel('llama-3-8b', 'solo', KEYS[2]!);
    await row('llama-3-8b').waitFor();
    const keys = await openConfigure('llama-3-8b');
    await keys.getByRole('button', { name: 'Delete solo' }).click();
    const confirm = page.getByRole('alertdialog');
    expect(await confirm.textContent()).toContain(
      'only key of llama-3-8b: deleting it removes the model too',
    );
    await harness.screenshot(page, 'models-06-delete-only-key');
    await confirm.getByRole('button', { name: 'Delete key' }).click();
    await page.getByText('solo deleted').waitFor();
    await row('llama-3-8b').waitFor({ state: 'detached' });
    await keys.waitFor({ state: 'detached' });
    const models = await owner.models.list.query({ workspaceId, provider: 'openai-compatible' });
    expect(models.map((model) => model.name)).toEqual([MODEL]);
  });

  it('load balances a model over its keys by weight, and shows resting keys live', async () => {
    await row(MODEL)
      .getByRole('button', { name: `Load balancing for ${MODEL}` })
      .click();
    const dialog = page.getByRole('dialog', { name: `Load balancing for ${MODEL}` });
    await dialog.getByRole('switch', { name: 'Load balancing' }).click();
    await dialog.getByLabel('Weight of vllm-a').fill('0');
    await dialog.getByRole('button', { name: 'Save' }).click();
    // The server's rule, next to the weight it is about.
    const weightError = dialog
      .locator('[data-balance="vllm-a"]')
      .getByText('Weight must be a whole number from 1 to 100');
    await weightError.waitFor();
    await dialog.getByLabel('Weight of vllm-a').fill('3');
    await dialog.getByLabel('Weight of vllm-b').fill('1');
    await dialog.locator('[data-balance="vllm-a"]').getByText('75%').waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await harness.screenshot(page, 'models-07-load-balancing-weights');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByText(`${MODEL} is load balanced`).waitFor();
    await row(MODEL).getByText('Load balanced', { exact: true }).waitFor();
    const saved = await owner.loadBalancing.get.query({
      workspaceId,
      provider: 'openai-compatible',
      model: ref,
    });
    expect(saved.enabled).toBe(true);
    expect(Object.fromEntries(saved.credentials.map((entry) => [entry.name, entry.weight]))).toEqual({
      'vllm-a': 3,
      'vllm-b': 1,
    });

    // A gateway call meets a rate limit on every key: each rests, and the open dialog shows it.
    await row(MODEL)
      .getByRole('button', { name: `Load balancing for ${MODEL}` })
      .click();
    await dialog.locator('[data-balance="vllm-a"]').getByText('Ready').waitFor();
    const { key } = await owner.apiKeys.create.mutate({ workspaceId, name: 'load test' });
    const answer = await fetch(`${harness.server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: `openai-compatible/${MODEL}`,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    expect(answer.status).toBe(429);
    for (const name of ['vllm-a', 'vllm-b']) {
      await dialog
        .locator(`[data-balance="${name}"]`)
        .getByText(/Resting until \d/)
        .waitFor();
    }
    await harness.screenshot(page, 'models-08-load-balancing-resting');
    await close(dialog);
    await row(MODEL).getByText('Cooling down', { exact: true }).waitFor();
    // The server's reason names the instant; the console shows it in local time.
    expect(await row(MODEL).getByTestId('model-status').textContent()).not.toMatch(/\d{4}-\d\d-\d\dT/);
  });

  it('discovers the models a local Ollama server has loaded and adds them in one step', async () => {
    await owner.providers.install.mutate({ workspaceId, provider: 'ollama' });
    await card('ollama').getByRole('button', { name: 'Discover' }).click();
    const dialog = page.getByRole('dialog', { name: 'Discover Ollama models' });
    await dialog.getByLabel('API base URL').fill(ollama.url);
    await dialog.getByRole('button', { name: 'Find models' }).click();
    await dialog.getByRole('checkbox', { name: 'llama3.2:latest' }).waitFor();
    expect(await dialog.getByRole('checkbox', { name: 'nomic-embed-text:latest' }).isChecked()).toBe(true);
    await harness.screenshot(page, 'models-09-discovered');
    expect(await accessibilityProblems(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Add 2 models' }).click();
    await page.getByText('2 models added').waitFor();
    await dialog.waitFor({ state: 'detached' });

    await card('ollama').getByRole('button', { name: 'Show 2 models' }).click();
    await row('llama3.2:latest').getByText('Discovered').waitFor();
    await row('nomic-embed-text:latest').getByText('Uses credential').waitFor();
    const models = await owner.models.list.query({ workspaceId, provider: 'ollama' });
    expect(models.map((model) => `${model.type}/${model.name}`).sort()).toEqual([
      'llm/llama3.2:latest',
      'text-embedding/nomic-embed-text:latest',
    ]);

    // Asked again, the server's models show as added.
    await card('ollama').getByRole('button', { name: 'Discover' }).click();
    await dialog.getByLabel('API base URL').fill(ollama.url);
    await dialog.getByRole('button', { name: 'Find models' }).click();
    await dialog.locator('[data-discovered="llama3.2:latest"]').getByText('Added').waitFor();
    expect(await dialog.getByRole('button', { name: 'Add 0 models' }).isDisabled()).toBe(true);
    await close(dialog);
  });

  it('shows the models to a member read-only, with the controls absent', async () => {
    const member = await signInAsNewMember(harness, {
      inviter: owner,
      workspaceId,
      account: MEMBER,
      role: 'member',
      next: `/w/${workspaceId}/providers`,
    });
    try {
      const on = member.page;
      await card('openai-compatible', on).getByRole('button', { name: 'Show 1 model' }).click();
      await row(MODEL, on).getByTestId('model-status').waitFor();
      expect(await on.getByRole('switch').count()).toBe(0);
      expect(await on.getByRole('button', { name: /^(Discover|Add model)$/ }).count()).toBe(0);

      await row(MODEL, on)
        .getByRole('button', { name: `Configure ${MODEL}` })
        .click();
      const keys = on.getByRole('dialog', { name: `${MODEL} keys` });
      await keys.locator('[data-credential="vllm-a"]').waitFor();
      expect(
        await keys.getByRole('button', { name: /Add key|Make active|Edit|Delete|Remove model/ }).count(),
      ).toBe(0);
      await on.keyboard.press('Escape');
      await keys.waitFor({ state: 'detached' });

      await row(MODEL, on)
        .getByRole('button', { name: `Load balancing for ${MODEL}` })
        .click();
      const balance = on.getByRole('dialog', { name: `Load balancing for ${MODEL}` });
      await balance.locator('[data-balance="vllm-a"]').getByText('Weight 3').waitFor();
      expect(await balance.getByRole('button', { name: 'Save' }).count()).toBe(0);
      expect(await balance.getByRole('spinbutton').count()).toBe(0);
      await harness.screenshot(on, 'models-10-member-read-only');
      await on.keyboard.press('Escape');

      await card('openai-compatible', on).getByRole('button', { name: 'Manage credentials' }).click();
      const all = on.getByRole('dialog', { name: 'OpenAI-compatible API model credentials' });
      await all.locator('[data-credential="vllm-b"]').waitFor();
      expect(await all.getByRole('button', { name: /Re-add|Edit|Delete/ }).count()).toBe(0);
    } finally {
      await member.context.close();
    }
  });

  it('works at 390 px wide with the models shown', async () => {
    const narrow = await harness.newPage(390);
    try {
      await signIn(narrow.page, OWNER, `/w/${workspaceId}/providers`);
      await card('openai-compatible', narrow.page).getByRole('button', { name: 'Show 1 model' }).click();
      await row(MODEL, narrow.page).getByTestId('model-status').waitFor();
      const wide = await narrow.page.evaluate(`[...document.querySelectorAll('body *')]
        .filter((element) => element.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
        .map((element) => element.tagName + '.' + element.className)`);
      expect(wide).toEqual([]);
      await harness.screenshot(narrow.page, 'models-11-narrow');
      await row(MODEL, narrow.page)
        .getByRole('button', { name: `Load balancing for ${MODEL}` })
        .click();
      await narrow.page
        .getByRole('dialog', { name: `Load balancing for ${MODEL}` })
        .getByText('Weight')
        .first()
        .waitFor();
      await harness.screenshot(narrow.page, 'models-12-narrow-load-balancing');
    } finally {
      await narrow.context.close();
    }
  });

  it('keeps what an admin is typing when a change made elsewhere refreshes the page', async () => {
    await card('openai-compatible').getByRole('button', { name: 'Add model' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a model to OpenAI-compatible API' });
    await dialog.getByLabel('Model name').fill('typed-before-the-change');
    await dialog.getByLabel('API key').fill('sk-test-fake-model-0009');
    await owner.providers.install.mutate({ workspaceId, provider: 'xinference' });
    await card('xinference').waitFor({ state: 'attached' });
    expect(await dialog.getByLabel('Model name').inputValue()).toBe('typed-before-the-change');
    expect(await dialog.getByLabel('API key').inputValue()).toBe('sk-test-fake-model-0009');
    await close(dialog);
  });

  it('follows a dark system theme and stays readable', async () => {
    const dark = await harness.newPage();
    try {
      // Set before the first paint, so no colour transition is caught half way.
      await dark.page.emulateMedia({ colorScheme: 'dark' });
      await signIn(dark.page, OWNER, `/w/${workspaceId}/providers`);
      await card('openai-compatible', dark.page).getByRole('button', { name: 'Show 1 model' }).click();
      await card('ollama', dark.page).getByRole('button', { name: 'Show 2 models' }).click();
      await row('llama3.2:latest', dark.page).getByTestId('model-status').waitFor();
      await harness.screenshot(dark.page, 'models-13-dark');
      expect(await problemsOutsideHeader(dark.page)).toEqual([]);
      await row(MODEL, dark.page)
        .getByRole('button', { name: `Load balancing for ${MODEL}` })
        .click();
      await dark.page.locator('[data-balance="vllm-a"]').waitFor();
      await harness.screenshot(dark.page, 'models-14-dark-load-balancing');
      expect(await problemsOutsideHeader(dark.page)).toEqual([]);
    } finally {
      await dark.context.close();
    }
  });

  it('had no script errors', () => {
    expect(harness.pageErrors).toEqual([]);
  });
});
