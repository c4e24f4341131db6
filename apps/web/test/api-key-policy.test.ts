import { createSwitchboardClient, type SwitchboardClient } from '@switchboard/client';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessibilityProblems,
  type ConsoleHarness,
  signIn,
  signInAsNewMember,
  startConsoleHarness,
} from './harness.ts';

// The editors' API key policy on the API keys page: an admin sets it (a bad field named by the
// server next to it, nothing saved; then a good one), an editor's open page follows live, shows
// it read-only, and the server's refusal of a key outside it appears in the key form.
// Real server on SQLite, Debian's Chromium.

const ADMIN = { email: 'policy-admin@example.test', password: 'a long enough password' };
const EDITOR = { email: 'policy-editor@example.test', password: 'another long password' };

describe("the editors' API key policy in the console", () => {
  let harness: ConsoleHarness;
  let admin: SwitchboardClient;
  let workspaceId: string;
  let adminPage: { context: BrowserContext; page: Page };
  let editorPage: { context: BrowserContext; page: Page };
  const keysPath = () => `/w/${workspaceId}/api-keys`;

  beforeAll(async () => {
    harness = await startConsoleHarness();
    const setup = await createSwitchboardClient({ url: harness.server.url }).auth.setup.mutate({
      ...ADMIN,
      workspaceName: 'Policies',
    });
    workspaceId = setup.workspace.id;
    admin = createSwitchboardClient({ url: harness.server.url, token: setup.token });
    adminPage = await harness.newPage();
    await signIn(adminPage.page, ADMIN, keysPath());
    editorPage = await signInAsNewMember(harness, {
      inviter: admin,
      workspaceId,
      account: EDITOR,
      role: 'editor',
      name: 'Eli Editor',
      next: keysPath(),
    });
  });
  afterAll(async () => {
    await adminPage?.context.close();
    await editorPage?.context.close();
    await harness?.close();
  });

  it('names the bad field next to it and saves nothing, then saves a good policy with a toast', async () => {
    const { page } = adminPage;
    const card = page.getByTestId('api-key-policy');
    await card.getByText('No restrictions yet').waitFor();
    await card.getByRole('button', { name: 'Edit policy' }).click();
    const dialog = page.getByRole('dialog', { name: "Editors' API key policy" });
    await dialog.getByLabel("Models editors' keys may call").fill('openai/*, nowhere/*');
    await dialog.getByLabel('Max requests / minute').fill('60');
    await dialog.getByLabel('Max monthly budget (USD)').fill('5');
    await dialog.getByRole('button', { name: 'Save policy' }).click();
    // The server's message, tied to its field for assistive technology too.
    const modelsError = dialog.locator('#policy-models-error');
    await modelsError.getByText('"nowhere" is not a provider of this server').waitFor();
    expect(
      await dialog.getByLabel("Models editors' keys may call").getAttribute('aria-describedby'),
    ).toContain('policy-models-error');
    expect(await dialog.locator('#policy-rpm-error').count()).toBe(0);
    expect(await admin.apiKeys.policy.query({ workspaceId })).toMatchObject({
      models: null,
      maxRequestsPerMinute: null,
      version: 0,
    });
    expect(await accessibilityProblems(page)).toEqual([]);
    await harness.screenshot(page, '63-api-key-policy-field-error');

    await dialog.getByLabel("Models editors' keys may call").fill('openai/*');
    await dialog.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText('API key policy saved').waitFor();
    await dialog.waitFor({ state: 'detached' });
    await card.getByText('openai/*').waitFor();
    await card.getByText('At most 60').waitFor();
    await card.getByText('At most 5.00 USD').waitFor();
    expect(await admin.apiKeys.policy.query({ workspaceId })).toEqual({
      models: ['openai/*'],
      maxRequestsPerMinute: 60,
      maxTokensPerMinute: null,
      maxMonthlyBudget: 5,
      version: 1,
    });
    expect(await accessibilityProblems(page)).toEqual([]);
    await harness.screenshot(page, '64-api-key-policy-saved');
  });

  it("shows the editor's open page the new policy live, read-only", async () => {
    const { page } = editorPage;
    const card = page.getByTestId('api-key-policy');
    await card.getByRole('heading', { name: 'Limits for your keys' }).waitFor();
    await card.getByText('openai/*').waitFor();
    await card.getByText('At most 5.00 USD').waitFor();
    expect(await page.getByRole('button', { name: 'Edit policy' }).count()).toBe(0);
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it("shows the server's refusal of an editor's key outside the policy in the form, and creates nothing", async () => {
    const { page } = editorPage;
    await page.getByRole('button', { name: 'Create key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create an API key' });
    await dialog.getByTestId('policy').getByText('models openai/*').waitFor();
    await dialog.getByLabel('Name').fill('editor-bot');
    await dialog.getByLabel('Models').fill('anthropic/*');
    await dialog.getByLabel('Requests / minute').fill('10');
    await dialog.getByRole('button', { name: 'Create key' }).click();
    await dialog
      .locator('#key-models-error')
      .getByText('anthropic/* outside what editors may use: openai/* (workspace API key policy)')
      .waitFor();
    await dialog
      .locator('#key-budget-error')
      .getByText("editors' keys need a monthly budget (USD) of at most 5 (workspace API key policy)")
      .waitFor();
    expect(await dialog.locator('#key-rpm-error').count()).toBe(0);
    expect(await admin.apiKeys.list.query({ workspaceId })).toEqual([]);
    expect(await accessibilityProblems(page)).toEqual([]);
    await harness.screenshot(page, '65-api-key-policy-editor-refused');

    // Within the policy, the same form creates the key.
    await dialog.getByLabel('Models').fill('openai/gpt-4o-mini');
    await dialog.getByLabel('Monthly budget (USD)').fill('2');
    await dialog.getByRole('button', { name: 'Create key' }).click();
    await page.getByRole('dialog', { name: 'API key created' }).waitFor();
    expect((await admin.apiKeys.list.query({ workspaceId })).map((key) => key.name)).toEqual(['editor-bot']);
  });

  it('had no script errors', () => {
    expect(harness.pageErrors).toEqual([]);
  });
});
