import { createSwitchboardClient, type SwitchboardClient } from '@switchboard/client';
import { type FakeUpstream, type RecordedRequest, startFakeUpstream } from '@switchboard/test-utils';
import type { ServerResponse } from 'node:http';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessibilityProblems, type ConsoleHarness, startConsoleHarness } from './harness.ts';

// Custom model prices in a real browser (decision 0032): an admin adds a model with a price on
// the providers page (a bad price first, refused next to its field), changes it in Configure,
// an app calls the model through the gateway, and the usage page shows what the call cost.
// Real server on SQLite, a local upstream speaking OpenAI's wire format.

const OWNER = { email: 'prices-admin@example.test', password: 'a long enough password' };
const MODEL = 'acme-llama-70b';
const UPSTREAM_KEY = 'sk-test-fake-prices-0001';

/** An OpenAI-compatible server: lists the model, and answers each chat with 200k tokens in and 100k out. */
function fakeServer(upstream: FakeUpstream): void {
  upstream.route('GET', '/v1/models', {
    json: { object: 'list', data: [{ id: MODEL, object: 'model', created: 0, owned_by: 'acme' }] },
  });
  upstream.route('POST', '/v1/chat/completions', (request: RecordedRequest, response: ServerResponse) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        id: 'chatcmpl-prices',
        object: 'chat.completion',
        created: 1_764_000_000,
        model: (request.json() as { model: string }).model,
        choices: [{ index: 0, message: { role: 'assistant', content: 'Priced' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 200_000, completion_tokens: 100_000, total_tokens: 300_000 },
      }),
    );
  });
}

async function signIn(page: Page, next: string): Promise<void> {
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Email').fill(OWNER.email);
  await page.getByLabel('Password').fill(OWNER.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`**${next}`);
}

describe('custom model prices in the console', () => {
  let harness: ConsoleHarness;
  let upstream: FakeUpstream;
  let owner: SwitchboardClient;
  let workspaceId: string;
  let context: BrowserContext;
  let page: Page;
  const row = () => page.locator(`[data-model="${MODEL}"]`);

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    fakeServer(upstream);
    harness = await startConsoleHarness();
    const setup = await createSwitchboardClient({ url: harness.server.url }).auth.setup.mutate({
      ...OWNER,
      workspaceName: 'Prices',
    });
    workspaceId = setup.workspace.id;
    owner = createSwitchboardClient({ url: harness.server.url, token: setup.token });
    await owner.providers.install.mutate({ workspaceId, provider: 'openai-compatible' });
    ({ context, page } = await harness.newPage());
    await signIn(page, `/w/${workspaceId}/providers`);
  });
  afterAll(async () => {
    await context?.close();
    await harness?.close();
    await upstream?.close();
  });

  it('adds a custom model with a price, refusing a negative one next to its field', async () => {
    await page
      .locator('[data-provider="openai-compatible"]')
      .getByRole('button', { name: 'Add model' })
      .click();
    const dialog = page.getByRole('dialog', { name: 'Add a model to OpenAI-compatible API' });
    await dialog.getByLabel('Model name').fill(MODEL);
    await dialog.getByLabel('API base URL').fill(`${upstream.url}/v1`);
    await dialog.getByLabel('API key').fill(UPSTREAM_KEY);
    await dialog.getByText('USD per 1M tokens, like the catalog').waitFor();
    await dialog.getByLabel('Input price').fill('-1');
    await dialog.getByLabel('Output price').fill('2');
    await dialog.getByRole('button', { name: 'Test & Add' }).click();
    const refused = dialog.locator('#add-model-price-input-error');
    await refused.waitFor();
    expect(await refused.textContent()).toContain('from 0 to');
    expect(await dialog.getByLabel('Input price').getAttribute('aria-invalid')).toBe('true');
    expect(await accessibilityProblems(page)).toEqual([]);
    await harness.screenshot(page, 'prices-01-add-model-bad-price');
    // Nothing was added.
    expect((await owner.models.list.query({ workspaceId })).some((model) => model.name === MODEL)).toBe(
      false,
    );

    await dialog.getByLabel('Input price').fill('0.4');
    await dialog.getByRole('button', { name: 'Test & Add' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByText(`${MODEL} added`).waitFor();
    await page
      .locator('[data-provider="openai-compatible"]')
      .getByRole('button', { name: 'Show 1 model' })
      .click();
    await row().getByText('$0.4 in · $2 out per 1M tokens').waitFor();
    const listed = (await owner.models.list.query({ workspaceId })).find((model) => model.name === MODEL);
    expect(listed).toMatchObject({
      pricing: { inputPerMillion: 0.4, outputPerMillion: 2 },
      pricingSource: 'custom',
    });
  });

  it("changes the price in the model's Configure", async () => {
    await row()
      .getByRole('button', { name: `Configure ${MODEL}` })
      .click();
    const dialog = page.getByRole('dialog', { name: `${MODEL} keys` });
    await dialog.waitFor();
    // The form starts from the stored price.
    expect(await dialog.getByLabel('Input price').inputValue()).toBe('0.4');
    expect(await dialog.getByLabel('Output price').inputValue()).toBe('2');
    await dialog.getByLabel('Input price').fill('0.5');
    await dialog.getByLabel('Output price').fill('1.5');
    await dialog.getByRole('button', { name: 'Save price' }).click();
    await page.getByText(`Price of ${MODEL} saved`).waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await harness.screenshot(page, 'prices-02-configure-price');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await row().getByText('$0.5 in · $1.5 out per 1M tokens').waitFor();
    await harness.screenshot(page, 'prices-03-model-row-price');
  });

  it('shows the cost of a gateway call to the priced model on the usage page', async () => {
    const { key } = await owner.apiKeys.create.mutate({ workspaceId, name: 'priced-app' });
    const answer = await fetch(`${harness.server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: `openai-compatible/${MODEL}`,
        messages: [{ role: 'user', content: 'Hi' }],
      }),
    });
    expect(answer.status).toBe(200);
    // 0.2 M tokens in at 0.5 USD + 0.1 M out at 1.5 USD per million.
    const cost = '$0.2500';
    await expect
      .poll(async () => (await owner.usage.summary.query({ workspaceId })).total.estimatedCostUsd)
      .toBeCloseTo(0.25, 9);

    await page.goto(`/w/${workspaceId}/usage`);
    const byModel = page.locator('[data-group="model"]');
    const modelRow = byModel.getByRole('row', { name: `openai-compatible/${MODEL}` });
    await modelRow.waitFor();
    expect(await modelRow.getByRole('cell').last().textContent()).toBe(cost);
    await page.getByText(cost).first().waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await harness.screenshot(page, 'prices-04-usage-cost');
    expect(harness.pageErrors).toEqual([]);
  });
});
