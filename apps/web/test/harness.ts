import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSwitchboardClient, type RouterInputs, type SwitchboardClient } from '@switchboard/client';
import { createPersonalAccessToken, createUser } from '@switchboard/core';
import { createLogger, loadConsole, type RunningServer, readEnv, startServer } from '@switchboard/server';
import { CHROMIUM_FLAGS, chromiumPath } from '@switchboard/test-utils';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

// The browser tests' real parts: the whole server (API, gateway, built console) on SQLite in a
// temporary folder and a free port, and Debian's Chromium driven by playwright-core.

/** Fake master key for tests: 32 bytes, base64. */
const TEST_MASTER_KEY = Buffer.alloc(32, 7).toString('base64');

/** Where each flow's screenshot goes (CI keeps .test-results). */
export const SCREENSHOTS = new URL('../.test-results/screenshots/', import.meta.url).pathname;

/** axe-core's browser bundle, evaluated in a page (through the debugger, so the page's CSP allows it). */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * WCAG 2.1 A and AA problems axe-core finds on the page once its transitions have ended, one
 * line each (`rule: selectors`); empty when there are none.
 */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  // Text mid-fade (a toast sliding behind a newer one, a dialog opening) is at partial opacity,
  // which axe reads as low contrast: wait for every finite animation and transition to end
  // (again, for those that one ending starts). A string, as the page's CSP forbids eval for functions.
  for (let round = 0; round < 5; round++) {
    const waited = await page.evaluate<number>(`(async () => {
      const running = document.getAnimations().filter((animation) =>
        animation.playState === 'running' && animation.effect?.getTiming().iterations !== Infinity);
      await Promise.all(running.map((animation) => animation.finished.catch(() => undefined)));
      return running.length;
    })()`);
    if (waited === 0) break;
  }
  await page.evaluate(AXE_SOURCE);
  return page.evaluate<string[]>(`axe
    .run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
    .then((result) => result.violations.map((violation) =>
      violation.id + ': ' + violation.nodes.map((node) => node.target.join(' ')).join(', ')))`);
}

/** A started server with the console, and what a test needs to drive it. */
export interface ConsoleHarness {
  server: RunningServer;
  browser: Browser;
  /** Opens a fresh browser context (its own cookies) at the given viewport width. */
  newPage(width?: number): Promise<{ context: BrowserContext; page: Page }>;
  /** Uncaught errors of every page opened so far (a test asserts there are none). */
  pageErrors: Error[];
  /** Saves a full-page screenshot as `.test-results/screenshots/NAME.png`. */
  screenshot(page: Page, name: string): Promise<void>;
  close(): Promise<void>;
}

/** Starts the server (SQLite, temp data dir, port 0) with the built console, and a headless Chromium. */
export async function startConsoleHarness(): Promise<ConsoleHarness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-console-'));
  const env = readEnv({
    HOST: '127.0.0.1',
    PORT: '0',
    SWITCHBOARD_DATA_DIR: dataDir,
    SWITCHBOARD_MASTER_KEY: TEST_MASTER_KEY,
    LOG_LEVEL: 'silent',
    SWITCHBOARD_SHUTDOWN_TIMEOUT_MS: '1000',
  });
  const logger = createLogger('silent');
  const consoleMount = await loadConsole(logger);
  if (!consoleMount) throw new Error('the console is not built (the global setup builds it)');
  const server = await startServer(env, logger, undefined, { console: consoleMount });
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [...CHROMIUM_FLAGS],
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
  const pageErrors: Error[] = [];
  return {
    server,
    browser,
    pageErrors,
    async newPage(width = 1280) {
      const context = await browser.newContext({
        baseURL: server.url,
        viewport: { width, height: width < 600 ? 844 : 900 },
      });
      // Generous: in the full run these flows share two cores with every other package's tests,
      // and a wait that runs out there says nothing about the console.
      context.setDefaultTimeout(30_000);
      const page = await context.newPage();
      // A script error in the console fails the flow that caused it.
      page.on('pageerror', (error) => pageErrors.push(error));
      page.on('console', (message) => {
        // Refused calls (a wrong password, a rejected key) are part of the flows; scripts' errors are not.
        if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
          console.error(`browser console: ${message.text()}`);
      });
      return { context, page };
    },
    async screenshot(page, name) {
      await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
    },
    async close() {
      await browser.close();
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** An account a test signs in with (an obviously fake address). */
export interface TestAccount {
  email: string;
  password: string;
}

/** Signs in through the login page and waits until it lands on `next`. */
export async function signIn(page: Page, account: TestAccount, next: string): Promise<void> {
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Email').fill(account.email);
  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`**${next}`);
}

/** Creates an account as the server's operator does (`switchboard user create`); returns its user id. */
export async function createAccount(
  harness: ConsoleHarness,
  account: TestAccount,
  name: string,
): Promise<string> {
  const user = await createUser(harness.server.core, { kind: 'system', label: 'test' }, { ...account, name });
  return user.id;
}

/** Who joins which workspace, and where their browser opens. */
export interface JoinOptions {
  /** An owner's or admin's client, who invites the account. */
  inviter: SwitchboardClient;
  workspaceId: string;
  /** A new account: the helper creates it. */
  account: TestAccount;
  role: RouterInputs['members']['invite']['role'];
  /** The console path the new member's browser opens at after signing in. */
  next: string;
  /** The account's display name (default: the role, capitalised). */
  name?: string;
  /** The browser's viewport width (default 1280). */
  width?: number;
}

/**
 * Joins a new account to a workspace the way people do, and opens a browser signed in as it:
 * the operator creates the account, the inviter invites its email, and the user accepts the
 * invitation themselves (decision 0011), here through the API with a token of their own. The
 * caller closes the returned context.
 */
export async function signInAsNewMember(
  harness: ConsoleHarness,
  options: JoinOptions,
): Promise<{ context: BrowserContext; page: Page }> {
  const { inviter, workspaceId, account, role } = options;
  const userId = await createAccount(
    harness,
    account,
    options.name ?? `${role.charAt(0).toUpperCase()}${role.slice(1)}`,
  );
  await inviter.members.invite.mutate({ workspaceId, email: account.email, role });
  const { token } = await createPersonalAccessToken(
    harness.server.core,
    { kind: 'user', userId },
    { name: 'test' },
  );
  const asInvitee = createSwitchboardClient({ url: harness.server.url, token });
  const invitation = (await asInvitee.members.myInvitations.query()).find(
    (pending) => pending.workspaceId === workspaceId,
  );
  if (!invitation) throw new Error(`no invitation to ${workspaceId} for ${account.email}`);
  await asInvitee.members.accept.mutate({ invitationId: invitation.id });
  const opened = await harness.newPage(options.width);
  try {
    await signIn(opened.page, account, options.next);
  } catch (error) {
    await opened.context.close();
    throw error;
  }
  return opened;
}
