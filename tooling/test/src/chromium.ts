import { existsSync } from 'node:fs';

// Debian's Chromium, as the console's tests, the VS Code extension's end-to-end tests and the
// first-call timing drive it (through playwright-core, which downloads no browser here).

/** Chromium's flags for a quiet, reproducible headless run as root on a shared machine. */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * The Chromium binary: `SWITCHBOARD_CHROMIUM` (or `CHROMIUM_PATH`) when set, else Debian's, the
 * binary itself when present (the /usr/bin wrapper only adds flags).
 */
export function chromiumPath(): string {
  const candidates = [
    process.env.SWITCHBOARD_CHROMIUM,
    process.env.CHROMIUM_PATH,
    '/usr/lib/chromium/chromium',
    '/usr/bin/chromium',
  ];
  const found = candidates.find((candidate): candidate is string => !!candidate && existsSync(candidate));
  if (!found) throw new Error('Chromium is missing: apt-get install chromium (.ci/run does it)');
  return found;
}
