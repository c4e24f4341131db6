#!/usr/bin/env node
// Entry point for `npm start` / `npm test` (and `pnpm start` / `pnpm test`) on a machine that has
// only Node and npm: installs the workspace with the pinned pnpm, then starts the server or runs
// every check. It exists because better-sqlite3 compiles from source here, and pnpm (unlike npm)
// ignores `nodedir` from .npmrc: node-gyp must be told where this Node's headers are, or it
// downloads them. See docs/decisions/0002-npm-entry-points.md.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setPriority } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pnpmCommand } from './runner/src/pnpm-command.mjs';
import {
  countReports,
  failedTests,
  findReports,
  removeReports,
  summarize,
  testedPackageDirs,
} from './runner/src/test-results.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [command = 'start', ...given] = process.argv.slice(2);
// `pnpm test -- --filter=x` hands the `--` on (npm does not): drop it, or turbo would pass the
// rest on to every task.
const rest = given[0] === '--' ? given.slice(1) : given;
const pnpm = pnpmCommand();

function nodeEnv() {
  const env = { ...process.env };
  const prefix = dirname(dirname(process.execPath));
  if (!env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node.h'))) {
    env.npm_config_nodedir = prefix;
  }
  // better-sqlite3 compiles SQLite at -O3, and that compile is most of a first start's wait; at
  // -O1 it takes half as long, and SQLite answered our kind of work as fast in a measurement.
  // The last -O on the command line wins. See docs/decisions/0038-sqlite-at-o1.md.
  env.CFLAGS ??= '-O1';
  return env;
}

/** Runs pnpm with the given arguments from the repository root; exits on failure unless allowed. */
function runPnpm(args, { allowFailure = false, captureStdout = false } = {}) {
  const result = spawnSync(pnpm.bin, [...pnpm.args, ...args], {
    cwd: root,
    stdio: ['inherit', captureStdout ? 'pipe' : 'inherit', 'inherit'],
    env: nodeEnv(),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) console.error(`run: cannot start ${pnpm.bin}: ${result.error.message}`);
  const status = result.status ?? 1;
  if (status !== 0 && !allowFailure) process.exit(status);
  return { status, stdout: result.stdout ?? '' };
}

/**
 * Starts a command from the repository root without waiting (at the given niceness, 0 = as this
 * process): resolves to its exit status (1 when it cannot start).
 */
function started(bin, args, { priority = 0 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { cwd: root, stdio: 'inherit', env: nodeEnv() });
    if (priority !== 0 && child.pid !== undefined) {
      try {
        setPriority(child.pid, priority);
      } catch {
        // Not allowed here (some containers): it then shares the CPU evenly, which is only slower.
      }
    }
    child.on('error', (error) => {
      console.error(`run: cannot start ${bin}: ${error.message}`);
      resolve(1);
    });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

/** The package folders whose tests this run starts (turbo's dry run), or none if turbo refuses the arguments. */
function plannedTestDirs(turboArgs) {
  const dryRun = runPnpm(['exec', 'turbo', ...turboArgs, '--dry=json'], {
    allowFailure: true,
    captureStdout: true,
  });
  if (dryRun.status !== 0) return [];
  return testedPackageDirs(JSON.parse(dryRun.stdout), root);
}

const frozen = process.env.CI ? ['--frozen-lockfile'] : [];

if (command === 'start') {
  // On a fresh clone, compiling better-sqlite3 (about 70 s, one core) and building the console
  // (about 25 s) are most of the wait; they need nothing from each other, so the install runs
  // no build scripts and the two then run side by side on two cores. `rebuild --pending` runs
  // only the scripts an install skipped: nothing on a second start.
  // See docs/decisions/0037-start-builds-in-parallel.md.
  runPnpm(['install', '--ignore-scripts', ...frozen]);
  const statuses = await Promise.all([
    started(pnpm.bin, [...pnpm.args, 'rebuild', '--pending']),
    // The console, when missing or stale (the script itself: a second pnpm would only add its
    // start-up). Niced: the compile is the longer of the two, so it gets the CPU first when
    // something else is running too.
    started(process.execPath, ['apps/web/scripts/build-if-needed.mjs'], { priority: 10 }),
  ]);
  const failed = statuses.find((status) => status !== 0);
  if (failed !== undefined) process.exit(failed);
  // Started from the repository root, so SWITCHBOARD_DATA_DIR=./data means the same folder
  // for the server and for `pnpm switchboard`. In its own process group, so a Ctrl-C reaches it
  // once (forwarded from here) rather than twice, which would skip the graceful shutdown.
  const server = spawn(process.execPath, ['--import', 'tsx', 'apps/server/src/main.ts', ...rest], {
    cwd: root,
    stdio: 'inherit',
    detached: process.platform !== 'win32',
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
  process.on('SIGHUP', () => server.kill('SIGTERM'));
  // npm and pnpm end at once on SIGTERM, and the `sh -c` running this script dies with them
  // without passing the signal on: a new parent means whoever started us is gone, so stop too.
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    server.kill('SIGTERM');
  }, 250);
  watch.unref();
  server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else if (command === 'test') {
  runPnpm(['install', ...frozen]);
  const turboArgs = ['run', 'lint', 'typecheck', 'test', '--continue', ...rest];
  const dirs = plannedTestDirs(turboArgs);
  removeReports(dirs);
  const { status } = runPnpm(['exec', 'turbo', ...turboArgs], { allowFailure: true });
  const reports = findReports(dirs);
  const { line, exitCode } = summarize(status, countReports(reports));
  const failures = failedTests(reports, root);
  console.log(`\n${failures.length > 0 ? `${failures.join('\n')}\n` : ''}${line}`);
  process.exit(exitCode);
} else {
  console.error(`usage: node tooling/run.mjs start|test [arguments for the server or turbo]`);
  process.exit(2);
}
