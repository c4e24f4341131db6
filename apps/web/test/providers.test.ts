import { createSwitchboardClient } from '@switchboard/client';
import { type FakeUpstream, startFakeUpstream } from '@switchboard/test-utils';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessibilityProblems, type ConsoleHarness, startConsoleHarness } from './harness.ts';

// The console's first-run and model-provider flows, top to bottom, as an admin does them in a
// real browser against the real server and an upstream speaking OpenAI's wire format.

const EMAIL = 'owner@example.test';
const PASSWORD = 'a long enough password';
/** Keys the fake OpenAI accepts; anything else gets OpenAI's own 401. */
const GOOD_KEYS = ['sk-test-fake-good-0001', 'sk-test-fake-good-0002', 'sk-test-fake-good-0003'];
const WRONG_KEY = 'sk-test-fake-wrong-0009';

function fakeOpenAI(upstream: FakeUpstream): void {
  upstream.route('GET', '/v1/models', (request, response) => {
    const key = (request.headers.authorization ?? '').replace(/^Bearer /, '');
    if (!GOOD_KEYS.includes(key)) {
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          error: {
            message: 'Incorrect API key provided: sk-test-***0009.',
            type: 'invalid_request_error',
            param: null,
            code: 'invalid_api_key',
          },
        }),
      );
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        object: 'list',
        data: [{ id: 'gpt-4o-mini', object: 'model', created: 1721172741, owned_by: 'system' }],
      }),
    );
  });
}

describe('the console in a browser', () => {
  let harness: ConsoleHarness;
  let upstream: FakeUpstream;
  let context: BrowserContext;
  let page: Page;
  let token: string;
  let workspaceId: string;

  const card = (provider: string) => page.locator(`[data-provider="${provider}"]`);

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    fakeOpenAI(upstream);
    harness = await startConsoleHarness();
    ({ context, page } = await harness.newPage());
  });
  afterAll(async () => {
    await context?.close();
    await harness?.close();
    await upstream?.close();
  });

  it('first run: the setup page creates the owner and the first workspace, and shows a token once', async () => {
    await page.goto('/');
    await page.waitForURL('**/setup');
    // The workspace is named after the owner as they type, until they name it themselves.
    await page.getByLabel('Your name').pressSequentially('Ada Admin');
    expect(await page.getByLabel('Workspace name').inputValue()).toBe("Ada's workspace");
    await page.getByLabel('Workspace name').fill('Acme');
    await page.getByLabel('Your name').fill('Ada');
    expect(await page.getByLabel('Workspace name').inputValue()).toBe('Acme');
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    // The server's rule, shown next to its field.
    expect(await page.locator('#password-error').textContent()).toMatch(/8 characters/);
    await harness.screenshot(page, '01-setup-field-error');
    expect(await accessibilityProblems(page)).toEqual([]);

    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    token = await page.getByLabel('Personal access token').inputValue();
    expect(token).toMatch(/^sbp_/);
    await harness.screenshot(page, '02-setup-token');
    await page.getByRole('button', { name: 'Continue to the console' }).click();
    await page.waitForURL(/\/w\/[^/]+\/providers$/);
    workspaceId = decodeURIComponent(new URL(page.url()).pathname.split('/')[2] ?? '');
    await page.getByRole('heading', { name: 'Model providers', exact: true }).waitFor();
    // Nothing installed: the empty state says so, with no search, filter or "0 of 0" count beside it.
    await page.getByText('No providers installed yet').waitFor();
    expect(await page.getByTestId('configured-count').count()).toBe(0);
    expect(await page.getByRole('searchbox', { name: 'Search providers' }).count()).toBe(0);
    await harness.screenshot(page, '02-no-providers-yet');
  });

  it('signs out, refuses a wrong password, and signs in again', async () => {
    await page.getByRole('button', { name: 'Account' }).click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.waitForURL('**/login');
    // The session is gone for the API too, not just for this page.
    await page.goto(`/w/${workspaceId}/providers`);
    await page.waitForURL('**/login?next=**');

    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    await harness.screenshot(page, '03-sign-in-refused');
    expect(await accessibilityProblems(page)).toEqual([]);

    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`**/w/${workspaceId}/providers`);
    const cookies = await context.cookies();
    expect(cookies.find((cookie) => cookie.name === 'sb_session')?.httpOnly).toBe(true);
  });

  it('installs a provider from the catalog, filtered by model type', async () => {
    const catalog = page.getByRole('list', { name: 'Available providers' });
    await page.getByRole('radio', { name: 'Rerank' }).click();
    await catalog.locator('[data-catalog="cohere"]').waitFor();
    expect(await catalog.locator('[data-catalog="openai"]').count()).toBe(0);
    await page.getByRole('radio', { name: 'LLM' }).click();
    await page.getByRole('button', { name: 'Install OpenAI', exact: true }).click();

    await card('openai').getByText('Needs a key').waitFor();
    await catalog.locator('[data-catalog="openai"]').waitFor({ state: 'detached' });
    expect(await page.getByTestId('configured-count').textContent()).toContain('0 of 1 configured');
    await harness.screenshot(page, '04-installed');
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it('sets up a key: a wrong key gets the provider reason next to the field, the right one is saved', async () => {
    await card('openai').getByRole('button', { name: 'Setup' }).click();
    const dialog = page.getByRole('dialog', { name: 'Set up OpenAI' });
    await dialog.getByLabel('Name').fill('Development');
    await dialog.getByLabel('API key').fill(WRONG_KEY);
    await dialog.getByLabel('API base URL').fill(`${upstream.url}/v1`);
    await dialog.getByRole('button', { name: 'Test & Save' }).click();
    const reason = dialog.locator('#field-api_key-error');
    await reason.waitFor();
    expect(await reason.textContent()).toContain('Incorrect API key provided');
    expect(await dialog.getByLabel('API key').getAttribute('aria-invalid')).toBe('true');
    await harness.screenshot(page, '05-setup-wrong-key');
    expect(await accessibilityProblems(page)).toEqual([]);

    await dialog.getByLabel('API key').fill(GOOD_KEYS[0]!);
    await dialog.getByRole('button', { name: 'Test & Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    // Test & Save reports how long the provider took to accept the key.
    await page.getByText(/OpenAI accepted the key \(\d+ ms\)/).waitFor();
    await card('openai').getByText('Active', { exact: true }).waitFor();
    expect(await card('openai').getByTestId('active-key').textContent()).toMatch(/Development · sk-••••0001/);
    expect(await page.getByTestId('configured-count').textContent()).toContain('1 of 1 configured');
    expect(await page.content()).not.toContain(GOOD_KEYS[0]);
    await harness.screenshot(page, '06-provider-active');
  });

  it('adds a second key, switches the active key, edits one with its secret kept, and deletes one', async () => {
    await card('openai').getByRole('button', { name: 'Configure' }).click();
    const keys = page.getByRole('dialog', { name: 'OpenAI keys' });
    await keys.getByRole('button', { name: 'Add key' }).click();
    const form = page.getByRole('dialog', { name: 'Set up OpenAI' });
    await form.getByLabel('Name').fill('Production');
    await form.getByLabel('API key').fill(GOOD_KEYS[1]!);
    await form.getByLabel('API base URL').fill(`${upstream.url}/v1`);
    await form.getByRole('button', { name: 'Test & Save' }).click();
    await form.waitFor({ state: 'detached' });

    const production = keys.locator('[data-credential="Production"]');
    await production.getByRole('button', { name: 'Make active' }).click();
    await production.getByText('Active', { exact: true }).waitFor();
    await keys
      .locator('[data-credential="Development"]')
      .getByRole('button', { name: 'Make active' })
      .waitFor();
    await harness.screenshot(page, '07-configure-keys');
    expect(await accessibilityProblems(page)).toEqual([]);

    // Editing: the saved secret is not sent back to the browser, only its mask; renaming keeps it.
    const validations = upstream.requests.length;
    await keys.getByRole('button', { name: 'Edit Development' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit Development' });
    expect(await edit.getByLabel('API key').inputValue()).toBe('');
    expect(await edit.getByLabel('API key').getAttribute('placeholder')).toMatch(/^sk-••••0001$/);
    await edit.getByLabel('Name').fill('Staging');
    await edit.getByRole('button', { name: 'Test & Save' }).click();
    await edit.waitFor({ state: 'detached' });
    await keys.locator('[data-credential="Staging"]').waitFor();
    expect(upstream.requests.length).toBe(validations);

    await keys.getByRole('button', { name: 'Delete Staging' }).click();
    const confirm = page.getByRole('alertdialog');
    await confirm.getByText('Delete Staging?').waitFor();
    await confirm.getByRole('button', { name: 'Delete key' }).click();
    await keys.locator('[data-credential="Staging"]').waitFor({ state: 'detached' });
    await page.keyboard.press('Escape');
    await keys.waitFor({ state: 'detached' });
    expect(await card('openai').getByTestId('active-key').textContent()).toMatch(/Production · sk-••••0002/);
  });

  it('shows a change made through the API without a reload', async () => {
    // A mark on the page that a reload would wipe (the tests' compiler has no DOM types: strings).
    await page.evaluate("document.body.dataset.loadedOnce = 'yes'");
    await page.locator('[data-live="live"]').waitFor();
    const client = createSwitchboardClient({ url: harness.server.url, token });
    await client.providers.install.mutate({ workspaceId, provider: 'anthropic' });
    await card('anthropic').getByText('Needs a key').waitFor();

    const created = await client.credentials.create.mutate({
      workspaceId,
      provider: 'openai',
      name: 'From the API',
      values: { api_key: GOOD_KEYS[2]!, base_url: `${upstream.url}/v1` },
    });
    await client.credentials.activate.mutate({
      workspaceId,
      credentialId: created.id,
      version: created.version,
    });
    await card('openai')
      .getByText(/From the API · sk-••••0003/)
      .waitFor();
    expect(await page.getByTestId('configured-count').textContent()).toContain('1 of 2 configured');
    expect(await page.evaluate('document.body.dataset.loadedOnce')).toBe('yes');
    await harness.screenshot(page, '08-live-update');
  });

  it('works at 390 px wide', async () => {
    const narrow = await harness.newPage(390);
    try {
      await narrow.page.goto(`/login?next=/w/${workspaceId}/providers`);
      await narrow.page.getByLabel('Email').fill(EMAIL);
      await narrow.page.getByLabel('Password').fill(PASSWORD);
      await narrow.page.getByRole('button', { name: 'Sign in' }).click();
      await narrow.page.getByRole('heading', { name: 'Model providers', exact: true }).waitFor();
      await harness.screenshot(narrow.page, '09-narrow-providers');
      // Nothing sticks out sideways: the elements wider than the viewport, by tag and class.
      const wide = await narrow.page.evaluate(`[...document.querySelectorAll('body *')]
        .filter((element) => element.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
        .map((element) => element.tagName + '.' + element.className)`);
      expect(wide).toEqual([]);
      await narrow.page
        .locator('[data-provider="openai"]')
        .getByRole('button', { name: 'Configure' })
        .click();
      await narrow.page.getByRole('dialog', { name: 'OpenAI keys' }).waitFor();
      await harness.screenshot(narrow.page, '10-narrow-configure');
    } finally {
      await narrow.context.close();
    }
  });

  it('had no script errors', () => {
    expect(harness.pageErrors).toEqual([]);
  });
});
