#!/usr/bin/env node
// Entry point for `npm start` and `npm test` on a machine that has only Node and npm:
// installs the workspace with the pinned pnpm, then starts the server or runs every check.
// It exists because better-sqlite3 compiles from source here, and pnpm (unlike npm) ignores
// `nodedir` from .npmrc: node-gyp must be told where this Node's headers are, or it downloads them.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PNPM_VERSION = '12.4.2';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [command = 'start', ...rest] = process.argv.slice(2);

function pnpmCommand() {
  const agent = process.env.npm_config_user_agent ?? '';
  const execPath = process.env.npm_execpath;
  if (agent.startsWith(`pnpm/${PNPM_VERSION}`) && execPath) return [process.execPath, [execPath]];
  return ['npx', ['-y', `pnpm@${PNPM_VERSION}`]];
}

function nodeEnv() {
  const env = { ...process.env };
  const prefix = dirname(dirname(process.execPath));
  if (!env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node.h'))) {
    env.npm_config_nodedir = prefix;
  }
  return env;
}

function run(args, { allowFailure = false } = {}) {
  const [bin, prefix] = pnpmCommand();
  const result = spawnSync(bin, [...prefix, ...args], { cwd: root, stdio: 'inherit', env: nodeEnv() });
  if (result.status !== 0 && !allowFailure) process.exit(result.status ?? 1);
  return result.status ?? 1;
}

function findResults(dir, found = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.git')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === '.test-results') {
        for (const file of readdirSync(path)) if (file.endsWith('.json')) found.push(join(path, file));
      } else findResults(path, found);
    }
  }
  return found;
}

run(['install', ...(process.env.CI ? ['--frozen-lockfile'] : [])]);

if (command === 'start') {
  // Started from the repository root, so SWITCHBOARD_DATA_DIR=./data means the same folder
  // for the server and for `pnpm switchboard`.
  const server = spawn(process.execPath, ['--import', 'tsx', 'apps/server/src/main.ts', ...rest], {
    cwd: root,
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
  server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else if (command === 'test') {
  for (const file of findResults(root)) rmSync(file);
  const status = run(['exec', 'turbo', 'run', 'lint', 'typecheck', 'test', '--continue', ...rest], {
    allowFailure: true,
  });
  let passed = 0;
  let failed = 0;
  const files = findResults(root);
  for (const file of files) {
    const report = JSON.parse(readFileSync(file, 'utf8'));
    passed += report.numPassedTests ?? 0;
    failed += (report.numFailedTests ?? 0) + (report.numRuntimeErrorTestSuites ?? 0);
  }
  if (status !== 0 && failed === 0) failed = 1; // lint or typecheck failed, or a runner crashed
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exit(status === 0 && failed === 0 && passed > 0 ? 0 : 1);
} else {
  console.error(`usage: node tooling/run.mjs start|test`);
  process.exit(2);
}
