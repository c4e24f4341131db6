// Times a new user's first model call through the console, the way issue 10 asks: a server
// started as `npm start` starts it (fresh data folder), Debian's Chromium, and the steps a person
// takes from the setup page to an answer in the playground, against a local server speaking
// OpenAI's chat wire format with an obviously fake key. Prints each step's time and what a person
// fills in and clicks; saves a screenshot of the answer. Run `npm start` once first (it installs
// and builds the console; this builds it too when it is missing), then `pnpm --filter @switchboard/first-call measure`.
// See docs/first-call.md.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_FLAGS, chromiumPath, type FakeUpstream, startFakeUpstream } from '@switchboard/test-utils';
import { chromium, type Page } from 'playwright-core';

const root = new URL('../../../', import.meta.url).pathname;
/** Where the answer's screenshot goes. */
const SCREENSHOT = new URL('../.results/playground-answer.png', import.meta.url).pathname;
const KEY = 'sk-test-fake-first-call';
const MODEL = 'local-model';
const ANSWER = ['Hello', ' from', ' your', ' first', ' call.'];

/** What a person does in one step: characters typed (or pasted) per field, and clicks. */
interface Step {
  name: string;
  /** Field label → characters entered. */
  fields: Record<string, number>;
  clicks: number;
  ms: number;
}

/** A local server answering like an OpenAI-compatible one (vLLM, LM Studio …) for KEY only. */
async function fakeProvider(): Promise<FakeUpstream> {
  const upstream = await startFakeUpstream();
  const authorized = (headers: Record<string, string>) => headers.authorization === `Bearer ${KEY}`;
  upstream.route('GET', '/v1/models', (request, response) => {
    if (!authorized(request.headers)) return void response.writeHead(401).end();
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({ object: 'list', data: [{ id: MODEL, object: 'model', created: 0, owned_by: 'me' }] }),
    );
  });
  upstream.route('POST', '/v1/chat/completions', (request, response) => {
    if (!authorized(request.headers)) return void response.writeHead(401).end();
    const base = {
      id: 'chatcmpl-first',
      object: 'chat.completion.chunk',
      created: 1_764_000_000,
      model: MODEL,
    };
    const usage = { prompt_tokens: 9, completion_tokens: 5, total_tokens: 14 };
    const body = request.json() as { stream?: boolean };
    if (!body.stream) {
      response.writeHead(200, { 'content-type': 'application/json' });
      const message = { role: 'assistant', content: ANSWER.join('') };
      response.end(
        JSON.stringify({
          ...base,
          object: 'chat.completion',
          choices: [{ index: 0, message, finish_reason: 'stop' }],
          usage,
        }),
      );
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const [index, text] of ANSWER.entries()) {
      const delta = index === 0 ? { role: 'assistant', content: text } : { content: text };
      response.write(
        `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`,
      );
    }
    response.write(
      `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`,
    );
    response.write(`data: ${JSON.stringify({ ...base, choices: [], usage })}\n\n`);
    response.end('data: [DONE]\n\n');
  });
  return upstream;
}

/** Starts the server as `npm start` does, on a free port and an empty data folder; resolves to its URL. */
function startServer(dataDir: string): Promise<{ url: string; server: ChildProcess }> {
  const server = spawn(process.execPath, ['--import', 'tsx', 'apps/server/src/main.ts'], {
    cwd: root,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', SWITCHBOARD_DATA_DIR: dataDir, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    server.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"msg":"listening","url":"([^"]+)"/.exec(output);
      if (match?.[1]) resolve({ url: match[1], server });
    });
    server.on('exit', (code) => reject(new Error(`the server exited with ${code}:\n${output}`)));
  });
}

async function firstCall(page: Page, url: string, upstream: FakeUpstream): Promise<Step[]> {
  const steps: Step[] = [];
  const step = async (
    name: string,
    fields: Record<string, number>,
    clicks: number,
    run: () => Promise<void>,
  ) => {
    const started = performance.now();
    try {
      await run();
    } catch (error) {
      // What the person would be looking at when the step went wrong.
      await page.screenshot({ path: join(SCREENSHOT, '..', 'failed-step.png'), fullPage: true });
      throw error;
    }
    steps.push({ name, fields, clicks, ms: performance.now() - started });
  };
  const owner = {
    name: 'Ada Admin',
    email: 'ada@example.test',
    password: 'a long first-call password',
    workspace: "Ada's workspace",
  };
  const endpoint = `${upstream.url}/v1`;

  await step('open the console: the setup page', {}, 0, async () => {
    await page.goto(url);
    await page.waitForURL('**/setup');
  });
  await step(
    'create the owner and the workspace',
    {
      'Your name': owner.name.length,
      Email: owner.email.length,
      Password: owner.password.length,
    },
    1,
    async () => {
      await page.getByLabel('Your name').fill(owner.name);
      await page.getByLabel('Email').fill(owner.email);
      await page.getByLabel('Password').fill(owner.password);
      // Named after the owner as they type: a person leaves it.
      const workspace = await page.getByLabel('Workspace name').inputValue();
      if (workspace !== owner.workspace) throw new Error(`the workspace name starts as ${workspace}`);
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByLabel('Personal access token').waitFor();
    },
  );
  await step('continue past the token to the providers page', {}, 1, async () => {
    await page.getByRole('button', { name: 'Continue to the console' }).click();
    await page.getByRole('heading', { name: 'Model providers', exact: true }).waitFor();
    // Where the person looks for the provider to install.
    await page.screenshot({ path: join(SCREENSHOT, '..', 'providers-page.png') });
  });
  await step('install OpenAI-compatible API from the catalog', {}, 1, async () => {
    await page.getByRole('button', { name: 'Install OpenAI-compatible API', exact: true }).click();
    await page
      .locator('[data-provider="openai-compatible"]')
      .getByRole('button', { name: 'Add model' })
      .waitFor();
  });
  await step(
    'add the model with its key',
    {
      'Model name': MODEL.length,
      'API base URL': endpoint.length,
      'API key': KEY.length,
    },
    2,
    async () => {
      await page
        .locator('[data-provider="openai-compatible"]')
        .getByRole('button', { name: 'Add model' })
        .click();
      const dialog = page.getByRole('dialog', { name: 'Add a model to OpenAI-compatible API' });
      await dialog.getByLabel('Model name').fill(MODEL);
      // Model type starts on LLM, and the key's name is optional: a person leaves both.
      await dialog.getByLabel('API base URL').fill(endpoint);
      await dialog.getByLabel('API key').fill(KEY);
      await dialog.getByRole('button', { name: 'Test & Add' }).click();
      await dialog.waitFor({ state: 'detached' });
    },
  );
  await step('open the playground', {}, 1, async () => {
    await page.getByRole('link', { name: 'Playground' }).click();
    await page.getByRole('heading', { name: 'Playground', exact: true }).waitFor();
  });
  await step('send a prompt and read the answer', { Prompt: 'Say hello'.length }, 1, async () => {
    await page.getByLabel('Prompt').fill('Say hello');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByTestId('answer').getByText(ANSWER.join('')).waitFor();
  });
  return steps;
}

// The console as `npm start` builds it (nothing to do when it is up to date).
if (
  spawnSync(process.execPath, ['apps/web/scripts/build-if-needed.mjs'], { cwd: root, stdio: 'inherit' })
    .status !== 0
)
  throw new Error('the console did not build');
const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-first-call-'));
const upstream = await fakeProvider();
const started = performance.now();
const { url, server } = await startServer(dataDir);
const listening = performance.now();
const browser = await chromium.launch({
  executablePath: chromiumPath(),
  headless: true,
  args: [...CHROMIUM_FLAGS],
});
try {
  mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(30_000);
  const uiStarted = performance.now();
  const steps = await firstCall(page, url, upstream);
  const uiMs = performance.now() - uiStarted;
  await page.screenshot({ path: SCREENSHOT, fullPage: true });

  const seconds = (ms: number) => (ms / 1000).toFixed(1);
  let fields = 0;
  let characters = 0;
  let clicks = 0;
  for (const each of steps) {
    const entries = Object.entries(each.fields);
    fields += entries.length;
    characters += entries.reduce((sum, [, count]) => sum + count, 0);
    clicks += each.clicks;
    const filled = entries.map(([label, count]) => `${label} (${count})`).join(', ');
    console.log(
      `${seconds(each.ms).padStart(5)} s  ${each.name}${filled ? `: ${filled}` : ''}; ${each.clicks} click(s)`,
    );
  }
  console.log(`server start ${seconds(listening - started)} s; console path ${seconds(uiMs)} s (script)`);
  console.log(
    `a person: ${steps.length} steps, ${fields} fields (${characters} characters), ${clicks} clicks`,
  );
  console.log(`screenshot: ${SCREENSHOT}`);
} finally {
  await browser.close();
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  await upstream.close();
  rmSync(dataDir, { recursive: true, force: true });
}
