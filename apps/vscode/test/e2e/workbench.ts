import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CHROMIUM_FLAGS } from '@switchboard/test-utils';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';

/** Where screenshots go: inside `.test-results`, which CI keeps. */
export const SCREENSHOTS = new URL('../../.test-results/screenshots/', import.meta.url).pathname;

/**
 * Removes the screenshots of one suite's earlier runs (names starting with `prefix`, or for the
 * baseline suite, every name without a suite prefix), leaving the other suite's alone: the two
 * suites may run at the same time.
 */
export function clearScreenshots(prefix: string | undefined): void {
  if (!existsSync(SCREENSHOTS)) return;
  for (const name of readdirSync(SCREENSHOTS)) {
    const mine = prefix
      ? name.startsWith(prefix) || name.startsWith(`failed-${prefix}`)
      : !/^(failed-)?lm-/.test(name);
    if (mine) rmSync(join(SCREENSHOTS, name), { force: true });
  }
}

/** Debian's chromium, headless, with a fresh temporary profile. */
export async function launchBrowser(env: NodeJS.ProcessEnv): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath))
    throw new Error(`${executablePath} is missing: apt-get install chromium (or set CHROMIUM_PATH)`);
  return chromium.launch({
    executablePath,
    headless: true,
    env: env as Record<string, string>,
    args: [...CHROMIUM_FLAGS],
  });
}

/** Drives a VS Code workbench in a page. */
export class Workbench {
  constructor(readonly page: Page) {
    // Patience, not speed: CI machines run many test files at once.
    page.setDefaultTimeout(60_000);
  }

  /** Opens the workbench and waits for its status bar. */
  async open(url: string): Promise<void> {
    await this.page.goto(url, { waitUntil: 'domcontentloaded', timeout: 180_000 });
    await this.page.locator('.monaco-workbench .part.statusbar').waitFor({ timeout: 180_000 });
  }

  /**
   * Runs a command from the palette by its full title. Extension commands appear some seconds
   * after the page loads, and focus moves while the workbench settles: retry the whole sequence.
   */
  async runCommand(title: string, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
      try {
        await this.page.keyboard.press('Escape');
        await this.page.keyboard.press('F1');
        const input = this.page.locator('.quick-input-widget input.input');
        await input.waitFor({ state: 'visible', timeout: 3_000 });
        await input.fill(`>${title}`);
        const row = this.page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
        await row.waitFor({ state: 'visible', timeout: 3_000 });
        await row.click({ timeout: 3_000 });
        return;
      } catch (error) {
        lastError = error;
        await this.page.waitForTimeout(500);
      }
    }
    throw new Error(`command "${title}" not found in the palette: ${String(lastError)}`);
  }

  /**
   * Whether the palette offers a command with this full title: typed in whole, a row with it
   * appears, or only other (similar) commands or none at all.
   */
  async paletteOffers(title: string): Promise<boolean> {
    await this.page.keyboard.press('Escape');
    await this.page.keyboard.press('F1');
    const input = this.quickInput();
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${title}`);
    const rows = this.page.locator('.quick-input-list .monaco-list-row');
    const none = this.page.locator('.quick-input-message', { hasText: 'No matching commands' });
    await rows.first().or(none).first().waitFor({ state: 'visible' });
    // The list is filtered as the text changes: let it settle before reading it.
    await this.page.waitForTimeout(500);
    return rows.filter({ hasText: title }).first().isVisible();
  }

  /** The quick input's text box (input boxes and quick picks). */
  quickInput(): Locator {
    return this.page.locator('.quick-input-widget input.input');
  }

  /** Picks the row of the open quick pick that contains `text`. */
  async pick(text: string): Promise<void> {
    const row = this.page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first();
    await row.waitFor({ state: 'visible', timeout: 60_000 });
    await row.click();
  }

  /** Picks the row of the open quick pick whose accessible name is exactly `label`. */
  async pickExact(label: string): Promise<void> {
    const row = this.page.locator('.quick-input-widget').getByRole('option', { name: label, exact: true });
    await row.waitFor({ state: 'visible', timeout: 60_000 });
    await row.click();
  }

  /**
   * Types into the input box that opens next and accepts. The palette's widget is the same
   * element and stays up a moment after a command row is clicked: wait for an empty box.
   */
  async answerInput(text: string): Promise<void> {
    const input = this.quickInput();
    const deadline = Date.now() + 60_000;
    for (;;) {
      if ((await input.isVisible()) && (await input.inputValue()) === '') break;
      if (Date.now() > deadline) throw new Error('no input box opened');
      await this.page.waitForTimeout(100);
    }
    await input.fill(text);
    await input.press('Enter');
  }

  /** A toast whose message contains `text`. */
  notification(text: string): Locator {
    return this.page.locator('.notifications-toasts .notification-list-item', { hasText: text }).first();
  }

  /** A button of the modal dialog. */
  dialogButton(label: string): Locator {
    return this.page
      .locator(
        '.monaco-dialog-box .dialog-buttons a.monaco-button, .monaco-dialog-box .dialog-buttons .monaco-button',
        { hasText: label },
      )
      .first();
  }

  /** A row of the Switchboard view that contains `text`. */
  treeRow(text: string | RegExp): Locator {
    return this.page.locator('.pane-body .monaco-list-row', { hasText: text }).first();
  }

  /** A status bar entry that contains `text`. */
  statusItem(text: string | RegExp): Locator {
    return this.page.locator('.part.statusbar .statusbar-item', { hasText: text }).first();
  }

  /** Saves a screenshot of the whole window as `name.png`. */
  async screenshot(name: string): Promise<string> {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const path = join(SCREENSHOTS, `${name}.png`);
    await this.page.screenshot({ path });
    return path;
  }
}
