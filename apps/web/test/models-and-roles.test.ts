import { createSwitchboardClient, type SwitchboardClient } from '@switchboard/client';
import { type FakeUpstream, startFakeUpstream } from '@switchboard/test-utils';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessibilityProblems,
  type ConsoleHarness,
  signIn,
  signInAsNewMember,
  startConsoleHarness,
} from './harness.ts';

// Custom models, default models, the workspace switcher and the read-only view of a member,
// in a real browser against the real server and a local OpenAI-compatible server.

const OWNER = { email: 'admin@example.test', password: 'a long enough password' };
const MEMBER = { email: 'member@example.test', password: 'another long password' };

describe('custom models, defaults and roles in the console', () => {
  let harness: ConsoleHarness;
  let upstream: FakeUpstream;
  let owner: SwitchboardClient;
  let workspaceId: string;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    upstream.route('GET', '/v1/models', {
      json: { object: 'list', data: [{ id: 'qwen2.5-7b', object: 'model', created: 0, owned_by: 'vllm' }] },
    });
    harness = await startConsoleHarness();
    const setup = await createSwitchboardClient({ url: harness.server.url }).auth.setup.mutate({
      ...OWNER,
      workspaceName: 'Labs',
    });
    workspaceId = setup.workspace.id;
    owner = createSwitchboardClient({ url: harness.server.url, token: setup.token });
    await owner.providers.install.mutate({ workspaceId, provider: 'openai-compatible' });
    ({ context, page } = await harness.newPage());
    await signIn(page, OWNER, `/w/${workspaceId}/providers`);
  });
  afterAll(async () => {
    await context?.close();
    await harness?.close();
    await upstream?.close();
  });

  async function addModel(keyName: string, key: string): Promise<void> {
    await page
      .locator('[data-provider="openai-compatible"]')
      .getByRole('button', { name: 'Add model' })
      .click();
    const dialog = page.getByRole('dialog', { name: 'Add a model to OpenAI-compatible API' });
    await dialog.getByLabel('Model name').fill('qwen2.5-7b');
    await dialog.getByLabel('Model type').selectOption('llm');
    await dialog.getByLabel('Key name').fill(keyName);
    await dialog.getByLabel('API base URL').fill(`${upstream.url}/v1`);
    await dialog.getByLabel('API key').fill(key);
    await dialog.getByRole('button', { name: 'Test & Add' }).click();
    await dialog.waitFor({ state: 'detached' });
  }

  it('adds a custom model, and adding it again attaches the key instead of a duplicate', async () => {
    await addModel('vllm-a', 'sk-test-fake-model-0001');
    await page.getByText('qwen2.5-7b added').waitFor();
    await page.locator('[data-provider="openai-compatible"]').getByText('1 of 1 models usable').waitFor();

    await addModel('vllm-b', 'sk-test-fake-model-0002');
    await page.getByText('qwen2.5-7b already existed').waitFor();
    await harness.screenshot(page, '11-custom-model-attached');
    const models = await owner.models.list.query({ workspaceId, provider: 'openai-compatible' });
    expect(models.map((model) => model.name)).toEqual(['qwen2.5-7b']);
    const keys = await owner.models.manageCredentials.query({ workspaceId, provider: 'openai-compatible' });
    expect(keys[0]?.credentials.map((credential) => credential.name).sort()).toEqual(['vllm-a', 'vllm-b']);
  });

  it('playground: with no default model set, it starts on a usable model instead of the default', async () => {
    await page.getByRole('link', { name: 'Playground' }).click();
    await page.waitForURL(`**/w/${workspaceId}/playground`);
    const model = page.getByLabel('Model');
    // "Workspace default" would only answer "no default llm model is set" on a first call.
    await expect.poll(() => model.inputValue(), { timeout: 30_000 }).toBe('openai-compatible/qwen2.5-7b');
    expect(await model.locator('option', { hasText: 'Workspace default (none set)' }).isDisabled()).toBe(
      true,
    );
    await page.getByRole('link', { name: 'Model providers' }).click();
    await page.waitForURL(`**/w/${workspaceId}/providers`);
  });

  it('sets a default model, and warns when its model stops working', async () => {
    await page.getByRole('link', { name: 'Default models' }).click();
    await page.waitForURL(`**/w/${workspaceId}/defaults`);
    await page.getByLabel('System reasoning model').selectOption('openai-compatible/qwen2.5-7b');
    await page.getByText('System reasoning model: openai-compatible/qwen2.5-7b').waitFor();
    const defaults = await owner.defaults.get.query({ workspaceId });
    expect(defaults.llm).toMatchObject({
      provider: 'openai-compatible',
      model: 'qwen2.5-7b',
      status: 'active',
    });

    // Disabled elsewhere: the page warns without a reload, and keeps the choice visible.
    const [model] = await owner.models.list.query({ workspaceId, provider: 'openai-compatible' });
    await owner.models.disable.mutate({
      workspaceId,
      provider: 'openai-compatible',
      model: { name: 'qwen2.5-7b', type: 'llm' },
      version: model?.version ?? 0,
    });
    await page.locator('[data-default="llm"]').getByRole('status').waitFor();
    expect(await page.locator('[data-default="llm"]').getByRole('status').textContent()).toContain(
      'openai-compatible/qwen2.5-7b',
    );
    await harness.screenshot(page, '12-defaults-warning');
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it('switches workspaces from the sidebar', async () => {
    const other = await owner.workspaces.create.mutate({ name: 'Research' });
    // Another workspace's creation is not this workspace's change: the menu shows it after a load.
    await page.reload();
    await page.getByRole('button', { name: 'Switch workspace' }).click();
    await page.getByRole('menuitem', { name: /Research/ }).click();
    await page.waitForURL(`**/w/${other.id}/providers`);
    await page.getByText('No providers installed yet').waitFor();
    await harness.screenshot(page, '13-switched-workspace');
  });

  it('shows a member the same page read-only, with the controls absent', async () => {
    const member = await signInAsNewMember(harness, {
      inviter: owner,
      workspaceId,
      account: MEMBER,
      role: 'member',
      next: `/w/${workspaceId}/providers`,
    });
    try {
      const card = member.page.locator('[data-provider="openai-compatible"]');
      await card.waitFor();
      await member.page.getByText('Only owners and admins can change providers.').waitFor();
      await card.getByText('No usable model').waitFor();
      expect(await member.page.getByRole('button', { name: /^Install / }).count()).toBe(0);
      expect(await member.page.getByRole('heading', { name: 'Install model providers' }).count()).toBe(0);
      expect(await card.getByRole('button', { name: 'Add model' }).count()).toBe(0);
      expect(await card.getByRole('button', { name: /More actions/ }).count()).toBe(0);
      await harness.screenshot(member.page, '14-member-read-only');
    } finally {
      await member.context.close();
    }
  });

  it('had no script errors', () => {
    expect(harness.pageErrors).toEqual([]);
  });
});
