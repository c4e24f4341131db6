import { createSwitchboardClient, type SwitchboardClient } from '@switchboard/client';
import { addCustomModel } from '@switchboard/core';
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

// The API keys page: create a key with limits (its secret shown once), watch its use against
// the limits after real /v1 calls, edit the limits, revoke with confirmation, and a member's
// read-only view, in a real browser against the real server and a local OpenAI-format upstream.

const OWNER = { email: 'keys-admin@example.test', password: 'a long enough password' };
const MEMBER = { email: 'keys-member@example.test', password: 'another long password' };
const MODEL = 'openai-compatible/local-model';

describe('API keys in the console', () => {
  let harness: ConsoleHarness;
  let upstream: FakeUpstream;
  let owner: SwitchboardClient;
  let workspaceId: string;
  let context: BrowserContext;
  let page: Page;
  let secret = '';

  const chat = () =>
    fetch(`${harness.server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }] }),
    });

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    upstream.route('GET', '/v1/models', {
      json: { object: 'list', data: [{ id: 'local-model', object: 'model', created: 0, owned_by: 'local' }] },
    });
    upstream.route('POST', '/v1/chat/completions', {
      json: {
        id: 'chatcmpl-keys',
        object: 'chat.completion',
        created: 1_764_000_000,
        model: 'local-model',
        choices: [{ index: 0, message: { role: 'assistant', content: 'Hello' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 30, completion_tokens: 12, total_tokens: 42 },
      },
    });
    harness = await startConsoleHarness();
    const setup = await createSwitchboardClient({ url: harness.server.url }).auth.setup.mutate({
      ...OWNER,
      workspaceName: 'Apps',
    });
    workspaceId = setup.workspace.id;
    owner = createSwitchboardClient({ url: harness.server.url, token: setup.token });
    await owner.providers.install.mutate({ workspaceId, provider: 'openai-compatible' });
    await addCustomModel(
      harness.server.core,
      { kind: 'user', userId: setup.user.id },
      {
        workspaceId,
        provider: 'openai-compatible',
        model: { name: 'local-model', type: 'llm' },
        credential: {
          name: 'team',
          values: { base_url: `${upstream.url}/v1`, api_key: 'sk-test-fake-console-keys' },
        },
        // A key with a budget reaches only priced models (decision 0032).
        pricing: { inputPerMillion: 1, outputPerMillion: 2 },
      },
    );
    ({ context, page } = await harness.newPage());
    await signIn(page, OWNER, `/w/${workspaceId}/api-keys`);
  });
  afterAll(async () => {
    await context?.close();
    await harness?.close();
    await upstream?.close();
  });

  it('creates a key with limits and shows its secret once, with a copy button', async () => {
    await page.getByRole('link', { name: 'API keys' }).waitFor();
    await page.getByText('No API keys yet.').waitFor();
    await page.getByRole('button', { name: 'Create key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create an API key' });
    await dialog.getByLabel('Name').fill('support-bot');
    await dialog.getByLabel('Models').fill('openai-compatible/*');
    await dialog.getByLabel('Requests / minute').fill('2');
    await dialog.getByLabel('Monthly budget (USD)').fill('5');
    await dialog.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByRole('dialog', { name: 'API key created' });
    secret = await shown.getByLabel('support-bot').inputValue();
    expect(secret).toMatch(/^sbk_/);
    await shown.getByRole('button', { name: 'Copy' }).waitFor();
    await harness.screenshot(page, '30-api-key-created');
    await shown.getByRole('button', { name: 'Done' }).click();
    await shown.waitFor({ state: 'detached' });
    const row = page.locator('[data-key="support-bot"]');
    await row.getByText('openai-compatible/*').waitFor();
    expect(await page.content()).not.toContain(secret);
  });

  it('shows use against the limits after real gateway calls, and the 429 past the limit', async () => {
    // Two requests a minute: a test that started late in a minute waits for the next one.
    const second = new Date().getUTCSeconds();
    if (second >= 50) await new Promise((resolve) => setTimeout(resolve, (61 - second) * 1000));
    expect((await chat()).status).toBe(200);
    expect((await chat()).status).toBe(200);
    const refused = await chat();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('rate_limit_exceeded');
    await page.reload();
    const row = page.locator('[data-key="support-bot"]');
    await row.getByText('2 / 2').waitFor();
    await row.getByText('84 · no limit').waitFor();
    await row.getByText('/ 5.00 USD').waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await harness.screenshot(page, '31-api-keys-usage');
  });

  it('edits the limits, naming a bad field, then saves', async () => {
    const row = page.locator('[data-key="support-bot"]');
    await row.getByRole('button', { name: 'Edit support-bot' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit support-bot' });
    await dialog.getByLabel('Requests / minute').fill('0');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByText('must be a whole number of requests from 1 to 1000000').waitFor();
    // Text that is not a number is named too, never sent as "no limit".
    await dialog.getByLabel('Monthly budget (USD)').fill('ten');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByText('must be a number, or empty for no limit').waitFor();
    expect((await owner.apiKeys.list.query({ workspaceId }))[0]?.limits.monthlyBudget).toBe(5);
    await dialog.getByLabel('Monthly budget (USD)').fill('5');
    await dialog.getByLabel('Requests / minute').fill('100');
    await dialog.getByLabel('Tokens / minute').fill('10000');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await row.getByText('2 / 100').waitFor();
    await row.getByText('/ 10,000').waitFor();
    const [key] = await owner.apiKeys.list.query({ workspaceId });
    expect(key?.limits).toMatchObject({ requestsPerMinute: 100, tokensPerMinute: 10_000, monthlyBudget: 5 });
  });

  it('shows a member the keys read-only', async () => {
    const member = await signInAsNewMember(harness, {
      inviter: owner,
      workspaceId,
      account: MEMBER,
      role: 'member',
      next: `/w/${workspaceId}/api-keys`,
    });
    try {
      await member.page.locator('[data-key="support-bot"]').getByText('/ 100').waitFor();
      await member.page.getByText('an editor, admin or owner creates and changes them').waitFor();
      expect(await member.page.getByRole('button', { name: 'Create key' }).count()).toBe(0);
      expect(await member.page.getByRole('button', { name: /^(Edit|Revoke) / }).count()).toBe(0);
      await harness.screenshot(member.page, '32-api-keys-member');
    } finally {
      await member.context.close();
    }
  });

  it('revokes a key after confirmation, and the gateway refuses it', async () => {
    await page
      .locator('[data-key="support-bot"]')
      .getByRole('button', { name: 'Revoke support-bot' })
      .click();
    const confirm = page.getByRole('alertdialog', { name: 'Revoke support-bot?' });
    await confirm.getByRole('button', { name: 'Revoke key' }).click();
    await page.getByText('1 revoked').waitFor();
    await page.getByText('No API keys yet.').waitFor();
    expect((await chat()).status).toBe(401);
  });

  it('had no script errors', () => {
    expect(harness.pageErrors).toEqual([]);
  });
});
