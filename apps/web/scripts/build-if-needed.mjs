#!/usr/bin/env node
// `npm start` and the browser tests call this: it builds the console when build/handler.js is
// missing or older than anything it is built from, and does nothing otherwise (a second start
// is instant).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const handler = join(web, 'build', 'handler.js');
const inputs = ['src', 'static', 'scripts', 'package.json', 'svelte.config.js', 'vite.config.ts'];

/** @param {string} path the newest modification time under it, in ms (0 when absent) */
function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

/** Whether the built console is missing or older than its sources. */
export function consoleIsStale() {
  if (!existsSync(handler)) return true;
  const built = statSync(handler).mtimeMs;
  return inputs.some((input) => newest(join(web, input)) > built);
}

/** Builds the console if it is stale; throws when the build fails. */
export function buildConsoleIfNeeded({ log = console.log } = {}) {
  if (!consoleIsStale()) return false;
  log('console: building apps/web (once; about a minute)');
  const vite = join(web, 'node_modules', 'vite', 'bin', 'vite.js');
  const result = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
    cwd: web,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error(`console build failed (exit ${result.status ?? result.signal})`);
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    buildConsoleIfNeeded();
  } catch (error) {
    console.error(`switchboard: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
