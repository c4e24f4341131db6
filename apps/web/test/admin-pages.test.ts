import type { ServerResponse } from 'node:http';
import { createSwitchboardClient, type SwitchboardClient } from '@switchboard/client';
import { type FakeUpstream, type RecordedRequest, startFakeUpstream } from '@switchboard/test-utils';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessibilityProblems,
  type ConsoleHarness,
  createAccount,
  signIn,
  startConsoleHarness,
} from './harness.ts';

// The admin pages beyond providers: health, the playground, members and the invitation link,
// personal access tokens, the audit log, usage and connect, and a member's read-only view, in a
// real browser against the real server and a local upstream speaking OpenAI's wire format.

const OWNER = { email: 'owner@example.test', password: 'a long enough password' };
const INVITEE = { email: 'invitee@example.test', password: 'another long password' };
/** Obviously fake keys: `rejected` ones get OpenAI's own 401 from the upstream. */
const KEYS = {
  primary: 'sk-test-fake-primary-0001',
  backup: 'sk-test-fake-backup-0002',
  localA: 'sk-test-fake-local-a-0003',
  localB: 'sk-test-fake-local-b-0004',
};
const ANSWER = ['Hello', ' from', ' the', ' gateway'];

const keyOf = (request: RecordedRequest) => (request.headers.authorization ?? '').replace(/^Bearer /, '');

function refuse(response: ServerResponse) {
  response.writeHead(401, { 'content-type': 'application/json' });
  response.end(
    JSON.stringify({
      error: {
        message: 'Incorrect API key provided: sk-test-***.',
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_api_key',
      },
    }),
  );
}

/** The upstream: every key works until put in `rejected`; `slow` delays key checks. */
function fakeOpenAI(upstream: FakeUpstream, rejected: Set<string>, control: { slowMs: number }) {
  upstream.route('GET', '/v1/models', async (request, response) => {
    if (control.slowMs) await new Promise((resolve) => setTimeout(resolve, control.slowMs));
    if (rejected.has(keyOf(request))) return refuse(response);
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        object: 'list',
        data: ['gpt-4o-mini', 'local-model', 'other-model'].map((id) => ({
          id,
          object: 'model',
          created: 0,
          owned_by: 'test',
        })),
      }),
    );
  });
  upstream.route('POST', '/v1/chat/completions', (request, response) => {
    if (rejected.has(keyOf(request))) return refuse(response);
    const body = request.json() as {
      model: string;
      stream?: boolean;
      stream_options?: { include_usage?: boolean };
    };
    const base = {
      id: 'chatcmpl-test',
      object: 'chat.completion.chunk',
      created: 1_764_000_000,
      model: body.model,
    };
    if (!body.stream) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          ...base,
          object: 'chat.completion',
          choices: [
            { index: 0, message: { role: 'assistant', content: ANSWER.join('') }, finish_reason: 'stop' },
          ],
          usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 },
        }),
      );
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    const chunks = [
      ...ANSWER.map((word) => ({
        ...base,
        choices: [{ index: 0, delta: { content: word }, finish_reason: null }],
      })),
      { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
      ...(body.stream_options?.include_usage
        ? [{ ...base, choices: [], usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 } }]
        : []),
    ];
    for (const chunk of chunks) response.write(`data: ${JSON.stringify(chunk)}\n\n`);
    response.end('data: [DONE]\n\n');
  });
}

/** The arguments of a copied curl command, run with fetch as the shell would. */
function parseCurl(command: string, environment: Record<string, string>) {
  const expanded = command.replace(/\$([A-Z_]+)/g, (_, name: string) => environment[name] ?? '');
  const joined = expanded.replace(/\\\n/g, ' ');
  const url = /^curl (\S+)/.exec(joined)?.[1] ?? '';
  const headers: Record<string, string> = {};
  for (const match of joined.matchAll(/-H "([^:]+): ([^"]*)"/g)) headers[match[1] ?? ''] = match[2] ?? '';
  const body = /-d '((?:[^']|'\\'')*)'/.exec(joined)?.[1]?.replaceAll("'\\''", "'");
  return { url, headers, body };
}

describe('the admin pages in a browser', () => {
  let harness: ConsoleHarness;
  let upstream: FakeUpstream;
  let owner: SwitchboardClient;
  let workspaceId: string;
  let context: BrowserContext;
  let page: Page;
  const rejected = new Set<string>();
  const control = { slowMs: 0 };
  const base = () => `/w/${workspaceId}`;

  async function open(link: string, heading: string) {
    await page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: link }).click();
    // A page's first visit loads its code (the usage page also its chart library): on a busy CI
    // machine that can outlast the default wait.
    await page.getByRole('heading', { name: heading, exact: true, level: 1 }).waitFor({ timeout: 45_000 });
  }

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    fakeOpenAI(upstream, rejected, control);
    harness = await startConsoleHarness();
    const setup = await createSwitchboardClient({ url: harness.server.url }).auth.setup.mutate({
      ...OWNER,
      workspaceName: 'Labs',
    });
    workspaceId = setup.workspace.id;
    owner = createSwitchboardClient({ url: harness.server.url, token: setup.token });
    const endpoint = `${upstream.url}/v1`;
    await owner.providers.install.mutate({ workspaceId, provider: 'openai' });
    await owner.credentials.create.mutate({
      workspaceId,
      provider: 'openai',
      name: 'Primary',
      values: { api_key: KEYS.primary, base_url: endpoint },
    });
    await owner.credentials.create.mutate({
      workspaceId,
      provider: 'openai',
      name: 'Backup',
      values: { api_key: KEYS.backup, base_url: endpoint },
    });
    await owner.providers.install.mutate({ workspaceId, provider: 'openai-compatible' });
    for (const [model, name, key] of [
      ['local-model', 'local-a', KEYS.localA],
      ['other-model', 'local-b', KEYS.localB],
    ] as const) {
      await owner.models.addCustom.mutate({
        workspaceId,
        provider: 'openai-compatible',
        model: { name: model, type: 'llm' },
        credential: { name, values: { api_key: key, base_url: endpoint } },
      });
    }
    await owner.defaults.set.mutate({
      workspaceId,
      provider: 'openai',
      model: { name: 'gpt-4o-mini', type: 'llm' },
    });
    ({ context, page } = await harness.newPage());
    await signIn(page, OWNER, `${base()}/providers`);
  });
  afterAll(async () => {
    await context?.close();
    await harness?.close();
    await upstream?.close();
  });

  it('health: checks every key at once, cancels, and marks a failing key or only its model', async () => {
    await open('Health', 'Health');
    const rows = page.getByRole('list', { name: 'Keys' });
    await rows.locator('[data-credential="Backup"]').waitFor();
    expect(await rows.getByRole('listitem').count()).toBe(4);

    // Cancel: with every check slow, stopping leaves them cancelled and says so.
    control.slowMs = 1_500;
    await page.getByRole('button', { name: 'Check all keys' }).click();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByText(/Check cancelled after \d of 4/).waitFor();
    control.slowMs = 0;

    // The standby OpenAI key and one custom model's own key are refused from now on.
    rejected.add(KEYS.backup);
    rejected.add(KEYS.localB);
    await page.getByRole('button', { name: 'Check all keys' }).click();
    await page.getByTestId('health-progress').getByText('4 of 4 checked').waitFor();
    await page.getByText('2 of 4 keys failed').waitFor();
    const row = (name: string) => rows.locator(`[data-credential="${name}"]`);
    expect(await row('Primary').getAttribute('data-status')).toBe('Working');
    expect(await row('local-a').getAttribute('data-status')).toBe('Working');
    expect(await row('Backup').getAttribute('data-status')).toBe('Rejected');
    expect(await row('local-b').getAttribute('data-status')).toBe('Rejected');
    expect(await row('Backup').getByTestId('error').textContent()).toContain('Incorrect API key provided');
    expect(await row('Backup').getByTestId('error').textContent()).toContain('calls are not affected');
    expect(await row('local-b').getByTestId('error').textContent()).toContain('Only other-model is affected');
    expect(await row('Primary').getByTestId('latency').textContent()).toMatch(/\d+ ms|\d\.\d s/);

    // The server agrees: the key is marked, and of the models only other-model stops.
    const models = await owner.models.list.query({ workspaceId });
    const status = (name: string) => models.find((model) => model.name === name)?.status;
    expect(status('gpt-4o-mini')).toBe('active');
    expect(status('local-model')).toBe('active');
    expect(status('other-model')).toBe('credential-invalid');
    const openai = (await owner.providers.list.query({ workspaceId })).find((entry) => entry.id === 'openai');
    const backup = openai?.credentials.find((credential) => credential.name === 'Backup');
    expect(backup?.status).toBe('invalid');

    // A key that worked once and fails now still says when it last worked: a passing check
    // before the failing one (when it was saved, or an abandoned check of the cancelled run that
    // finished before the key was refused). The exact time is on hover.
    const lastSuccesses = await owner.credentials.lastSuccesses.query({ workspaceId });
    const backupLast = lastSuccesses.find((entry) => entry.credentialId === backup?.id);
    expect(backupLast?.via).toBe('check');
    expect(backupLast?.at && backup?.validatedAt && backupLast.at < backup.validatedAt).toBe(true);
    expect(backupLast?.at && backup && backupLast.at >= backup.createdAt).toBe(true);
    const backupSuccess = row('Backup').getByTestId('last-success');
    await backupSuccess.filter({ hasText: /ago|now/ }).waitFor();
    expect(await backupSuccess.textContent()).toMatch(
      /^\s*Last success\s+(now|\d+ (seconds?|minutes?) ago)\s*$/,
    );
    expect(await backupSuccess.getAttribute('title')).toMatch(/\d{4}, \d{1,2}:\d{2}.*: a passing check$/);
    expect(await row('local-b').getByTestId('last-success').textContent()).not.toContain('never');
    await harness.screenshot(page, '20-health-checked');
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it('playground: streams an answer through the gateway, with latency, tokens, cost and the key', async () => {
    await open('Playground', 'Playground');
    const model = page.getByLabel('Model');
    await model
      .locator('option', { hasText: 'Workspace default (openai/gpt-4o-mini)' })
      .waitFor({ state: 'attached' });
    const before = upstream.requests.length;
    await page.getByLabel('Prompt').fill('Say hello');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByTestId('answer').getByText('Hello from the gateway').waitFor();
    const stats = page.getByTestId('call-stats');
    await stats.waitFor();
    expect(await stats.getByText('openai/gpt-4o-mini').count()).toBe(1);
    expect(await page.getByTestId('tokens').textContent()).toMatch(/9\s*\/\s*4/);
    // gpt-4o-mini at the catalog's 0.15 / 0.6 dollars per million tokens.
    expect(await page.getByTestId('cost').textContent()).toBe('$0.000004');
    expect(await page.getByTestId('serving-key').textContent()).toMatch(/Primary\s*·\s*sk-••••0001/);
    const chat = upstream.requests.slice(before).find((request) => request.path === '/v1/chat/completions');
    expect(chat && keyOf(chat)).toBe(KEYS.primary);
    // No key of any kind reached the page.
    const html = await page.content();
    for (const key of Object.values(KEYS)) expect(html).not.toContain(key);
    expect(html).not.toMatch(/sb[kp]_[0-9a-zA-Z]{20}/);
    await harness.screenshot(page, '21-playground-streamed');
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it('members: invites by email, and the invitee accepts through the link in a fresh browser', async () => {
    await open('Members', 'Members');
    await page.getByLabel('Email').fill(INVITEE.email);
    await page.getByLabel('Role', { exact: true }).selectOption('editor');
    await page.getByRole('button', { name: 'Invite' }).click();
    await page.getByText(`Invitation for ${INVITEE.email} created`).waitFor();
    const link = await page.getByLabel(`Invitation link for ${INVITEE.email}`).inputValue();
    expect(link).toMatch(/\/invite\/inv_/);
    await harness.screenshot(page, '22-members-invited');
    expect(await accessibilityProblems(page)).toEqual([]);

    // Accounts come from the operator (decision 0011); the invitee says yes themselves.
    await createAccount(harness, INVITEE, 'Ivy Invitee');
    const invitee = await harness.newPage();
    try {
      await invitee.page.goto(link);
      await invitee.page.waitForURL('**/login?next=**');
      await invitee.page.getByLabel('Email').fill(INVITEE.email);
      await invitee.page.getByLabel('Password').fill(INVITEE.password);
      await invitee.page.getByRole('button', { name: 'Sign in' }).click();
      await invitee.page.getByRole('heading', { name: 'Join Labs' }).waitFor();
      await harness.screenshot(invitee.page, '23-invitation-accept');
      expect(await accessibilityProblems(invitee.page)).toEqual([]);
      await invitee.page.getByRole('button', { name: 'Accept invitation' }).click();
      await invitee.page.waitForURL(`**${base()}/providers`);
    } finally {
      await invitee.context.close();
    }

    // The owner's page follows without a reload: a member now, the invitation gone.
    const row = page.locator(`[data-member="${INVITEE.email}"]`);
    await row.waitFor();
    await page.getByText('No pending invitations').waitFor();
    await row.getByLabel(`Role of ${INVITEE.email}`).selectOption('member');
    await page.getByText(`${INVITEE.email} is now a member`).waitFor();
    const members = await owner.members.list.query({ workspaceId });
    expect(members.find((member) => member.email === INVITEE.email)?.role).toBe('member');
  });

  it('tokens: creates a named token with an expiry and scopes, shows it once, and revokes it', async () => {
    await open('Access tokens', 'Personal access tokens');
    await page.getByLabel('Token name').fill('CI script');
    await page.getByLabel('Expires after').selectOption('30');
    await page.getByRole('checkbox', { name: /^Manage/ }).uncheck();
    await page.getByRole('button', { name: 'Create token' }).click();
    const dialog = page.getByRole('dialog', { name: 'Token created' });
    const token = await dialog.getByLabel('Personal access token').inputValue();
    expect(token).toMatch(/^sbp_/);
    await harness.screenshot(page, '24-token-shown-once');
    const asToken = createSwitchboardClient({ url: harness.server.url, token });
    expect((await asToken.auth.me.query()).user.email).toBe(OWNER.email);
    // Without the manage scope, the owner's token cannot read the audit log.
    await expect(asToken.audit.list.query({ workspaceId })).rejects.toMatchObject({
      data: { code: 'FORBIDDEN' },
    });
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(token);

    const row = page.locator('[data-token="CI script"]');
    expect(await row.getByTestId('token-status').textContent()).toMatch(/Expires in (29|30) days/);
    expect(await row.getByTestId('token-scopes').textContent()).toMatch(
      /Read and use models, Own API keys\s*$/,
    );
    await row.getByRole('button', { name: 'Revoke CI script' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Revoke token' }).click();
    await page.locator('[data-token="CI script"][data-live="false"]').waitFor();
    await expect(asToken.auth.me.query()).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it('audit log: filters by what, who and when', async () => {
    await open('Audit log', 'Audit log');
    const entries = page.getByRole('list', { name: 'Audit entries' });
    await entries.locator('[data-action="credential.create"]').first().waitFor();

    await page.getByLabel('What').selectOption('member');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL('**/audit?what=member');
    await entries.locator('[data-action="credential.create"]').first().waitFor({ state: 'detached' });
    const actions = await Promise.all(
      (await entries.locator('li').all()).map((item) => item.getAttribute('data-action')),
    );
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.every((action) => action?.startsWith('member.'))).toBe(true);

    await page.getByLabel('Who').selectOption({ label: INVITEE.email });
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL('**/audit?who=*');
    // The URL changes before the list does: wait for the entries of other actors to go, not
    // just for the invitee's own (it was already in the 'member' list).
    await expect.poll(() => entries.locator('li').count()).toBe(1);
    await entries.locator('[data-action="member.join"]').waitFor();
    expect(await entries.getByTestId('actor').textContent()).toBe(INVITEE.email);
    await harness.screenshot(page, '25-audit-filtered');
    expect(await accessibilityProblems(page)).toEqual([]);

    await page.getByLabel('From').fill('2099-01-01');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('Nothing matches this filter').waitFor();
    await page.getByRole('button', { name: 'Clear' }).click();
    await entries.locator('[data-action="credential.create"]').first().waitFor();
  });

  it('usage: charts by day, model, key and API key after a few gateway calls', async () => {
    const { key } = await owner.apiKeys.create.mutate({ workspaceId, name: 'Reporting app' });
    for (const model of ['openai/gpt-4o-mini', 'openai-compatible/local-model', 'default']) {
      const response = await fetch(`${harness.server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(response.status).toBe(200);
    }
    await harness.server.gateway.runtime.usage.flush();
    await open('Usage', 'Usage');
    const totals = page.getByTestId('usage-totals');
    await totals.waitFor();
    // The playground's call and these three.
    expect(await totals.textContent()).toMatch(/Calls\s*4(?!\d)/);
    for (const chart of ['chart-day', 'chart-model', 'chart-credential', 'chart-api-key']) {
      await page.locator(`[data-testid="${chart}"] canvas`).waitFor();
    }
    const byModel = page.locator('[data-group="model"]');
    expect(await byModel.getByRole('rowheader', { name: 'openai/gpt-4o-mini', exact: true }).count()).toBe(1);
    expect(await byModel.getByRole('rowheader', { name: 'openai-compatible/local-model' }).count()).toBe(1);
    const byKey = page.locator('[data-group="credential"]');
    expect(await byKey.getByRole('rowheader', { name: 'openai · Primary', exact: true }).count()).toBe(1);
    const byApiKey = page.locator('[data-group="api-key"]');
    expect(await byApiKey.getByRole('rowheader', { name: 'Reporting app' }).count()).toBe(1);
    expect(await byApiKey.getByRole('rowheader', { name: `${OWNER.email} (token or console)` }).count()).toBe(
      1,
    );
    await page.getByRole('radio', { name: 'Tokens' }).click();
    await harness.screenshot(page, '26-usage-charts');
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it('connect: the copied curl snippet works against the server as it is', async () => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: harness.server.url });
    await open('Connect', 'Connect');
    expect(await page.getByLabel('Base URL (OpenAI clients)').inputValue()).toBe(`${harness.server.url}/v1`);
    for (const title of [
      'OpenAI SDK · TypeScript',
      'OpenAI SDK · Python',
      'Anthropic SDK · TypeScript (/v1/messages)',
      'settings.json',
    ]) {
      await page.getByRole('region', { name: title }).waitFor();
    }
    await page.getByRole('button', { name: 'Copy curl', exact: true }).click();
    await page.getByText('curl copied').waitFor();
    const copied = await page.evaluate<string>('navigator.clipboard.readText()');
    expect(copied).toContain('$SWITCHBOARD_API_KEY');

    const { key } = await owner.apiKeys.create.mutate({ workspaceId, name: 'Snippet test' });
    const curl = parseCurl(copied, { SWITCHBOARD_API_KEY: key });
    const response = await fetch(curl.url, {
      method: 'POST',
      headers: curl.headers,
      body: curl.body ?? null,
    });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { choices: { message: { content: string } }[] };
    expect(answer.choices[0]?.message.content).toBe(ANSWER.join(''));
    await harness.screenshot(page, '27-connect');
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it('shows a member the same pages read-only, with the controls absent, at 390 px', async () => {
    const member = await harness.newPage(390);
    try {
      await signIn(member.page, INVITEE, `${base()}/health`);
      await member.page.locator('[data-credential="Primary"]').waitFor();
      await member.page.getByText('Only owners and admins can run checks').waitFor();
      // The playground's and connect's calls went through Primary: its last success is a gateway call.
      await member.page
        .locator(
          '[data-credential="Primary"] [data-testid="last-success"][title$=": a successful gateway call"]',
        )
        .waitFor();
      expect(await member.page.getByRole('button', { name: 'Check all keys' }).count()).toBe(0);
      expect(await member.page.getByRole('button', { name: /^Check / }).count()).toBe(0);
      const nav = member.page.getByRole('navigation', { name: 'Workspace' });
      expect(await nav.getByRole('link', { name: 'Usage' }).count()).toBe(0);
      expect(await nav.getByRole('link', { name: 'Audit log' }).count()).toBe(0);
      // Nothing sticks out sideways at 390 px (the tests' compiler has no DOM types: a string).
      const wide = await member.page.evaluate(`[...document.querySelectorAll('body *')]
        .filter((element) => element.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
        .map((element) => element.tagName + '.' + element.className)`);
      expect(wide).toEqual([]);
      await harness.screenshot(member.page, '28-member-health-narrow');
      expect(await accessibilityProblems(member.page)).toEqual([]);

      await nav.getByRole('link', { name: 'Members' }).click();
      await member.page.locator(`[data-member="${OWNER.email}"]`).waitFor();
      await member.page.getByText('Only owners and admins can invite or change members.').waitFor();
      expect(await member.page.getByRole('button', { name: 'Invite' }).count()).toBe(0);
      expect(await member.page.getByRole('combobox').count()).toBe(0);
      expect(await member.page.getByRole('button', { name: /^Remove / }).count()).toBe(0);
      expect(await member.page.getByRole('heading', { name: 'Pending invitations' }).count()).toBe(0);
      await harness.screenshot(member.page, '29-member-members-narrow');
      expect(await accessibilityProblems(member.page)).toEqual([]);
    } finally {
      await member.context.close();
    }
  });

  it('had no script errors', () => {
    expect(harness.pageErrors).toEqual([]);
  });
});
