import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNPM_VERSION } from '@switchboard/runner/pnpm-command';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

// The README's entry points, typed the way a user types them: `npm start`, `npm test`,
// `pnpm start`, `pnpm test`, spawned from the repository root. Under npm, tooling/run.mjs fetches
// the pinned pnpm through npx; under the pinned pnpm (a native binary since pnpm 12) it runs the
// pnpm that started it. `npm test` here selects the small runner package with a turbo filter, so
// it does not run this suite inside itself.

const root = new URL('../../..', import.meta.url).pathname;
const RUNNER = '@switchboard/runner';
/** Processes this file started, directly or not, for the cleanup after a failed test. */
const spawned: number[] = [];

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** The command a user types, minus its subcommand. */
interface Tool {
  name: 'npm' | 'pnpm';
  bin: string;
}

const tools: Tool[] = [{ name: 'npm', bin: 'npm' }];

// Set by the pnpm and the vitest running this test (npm and pnpm must find out for themselves
// who runs them), or configuration this test chooses itself.
const NOT_PASSED_ON =
  /^(npm_|pnpm_|vitest|switchboard_)|^(INIT_CWD|NODE_ENV|TEST|DATABASE_URL|HOST|PORT|LOG_LEVEL)$/i;

/** What a user's shell passes on: this environment less NOT_PASSED_ON, plus `extra`. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !NOT_PASSED_ON.test(name)));
  return { ...env, ...extra };
}

function launch(tool: Tool, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(tool.bin, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid) spawned.push(child.pid);
  return child;
}

/** Resolves when the process has exited and every process holding its output (its children) is gone too. */
function finished(child: ChildProcess, read: () => string): Promise<Finished> {
  return new Promise((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, output: read() }));
  });
}

function collect(child: ChildProcess): () => string {
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  return () => output;
}

/** The process and its descendants now, from /proc (Linux): the processes `npm start` left behind, if any. */
function processTree(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The parent is the second field after the command name, which is in parentheses and may hold spaces.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process ended while we looked.
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(parents.get(tree[i] as number) ?? []));
  return tree;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether the process still runs (a zombie waiting for its parent to collect it does not). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** The processes of `pids` still running after a bounded wait: helpers such as esbuild's service end just after their parent. */
async function stillRunning(pids: number[], waitMs = 10_000): Promise<number[]> {
  const deadline = Date.now() + waitMs;
  while (pids.some(isAlive) && Date.now() < deadline) await sleep(100);
  return pids.filter(isAlive);
}

beforeAll(() => {
  // The pinned pnpm, installed as npm installs it (the native executable of pnpm 12).
  const bin = execFileSync('npx', ['-y', '-p', `pnpm@${PNPM_VERSION}`, '-c', 'command -v pnpm'], {
    cwd: tmpdir(),
    env: userEnv(),
    encoding: 'utf8',
  }).trim();
  expect(execFileSync(bin, ['--version'], { cwd: tmpdir(), encoding: 'utf8' }).trim()).toBe(PNPM_VERSION);
  tools.push({ name: 'pnpm', bin });
});

afterEach(() => {
  // A failed test may leave a server behind: end everything this file started, by PID.
  for (const pid of new Set(spawned.splice(0)))
    for (const each of processTree(pid).reverse()) if (isAlive(each)) process.kill(each, 'SIGKILL');
});

describe.each(['npm', 'pnpm'] as const)('%s start', (name) => {
  it('installs, serves /healthz on a free port with a new data folder, and stops cleanly on SIGTERM', async () => {
    const tool = tools.find((each) => each.name === name) as Tool;
    const dataDir = join(mkdtempSync(join(tmpdir(), 'switchboard-entry-')), 'data');
    const child = launch(
      tool,
      ['start'],
      userEnv({ HOST: '127.0.0.1', PORT: '0', SWITCHBOARD_DATA_DIR: dataDir, LOG_LEVEL: 'info' }),
    );
    const read = collect(child);
    const done = finished(child, read);
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout?.on('data', () => {
        const match = /"msg":"listening","url":"([^"]+)"/.exec(read());
        if (match?.[1]) resolve(match[1]);
      });
      child.on('exit', (code) => reject(new Error(`${name} start exited with ${code}:\n${read()}`)));
    });
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    const running = processTree(child.pid as number);
    spawned.push(...running);

    child.kill('SIGTERM');
    const result = await Promise.race([done, sleep(60_000).then(() => undefined)]);
    // Still open output means a process that inherited it (the server) outlived npm or pnpm.
    if (!result) throw new Error(`still running 60 s after SIGTERM: ${running.filter(isAlive).join(' ')}`);
    // npm and pnpm themselves end on the signal; what matters is what they started.
    expect(result.code === 0 || result.signal === 'SIGTERM').toBe(true);
    expect(result.output).toContain('"msg":"signal received","signal":"SIGTERM"');
    expect(result.output).toContain('"msg":"stopped"');
    expect(await stillRunning(running)).toEqual([]);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    // The database was closed properly: SQLite folds its write-ahead log back in and removes it.
    expect(existsSync(join(dataDir, 'switchboard.db'))).toBe(true);
    expect(existsSync(join(dataDir, 'switchboard.db-wal'))).toBe(false);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, 'switchboard.db')).mode & 0o777).toBe(0o600);
  });
});

describe.each(['npm', 'pnpm'] as const)('%s test', (name) => {
  it('runs lint, typecheck and tests of the packages a turbo filter selects and prints what passed', async () => {
    const tool = tools.find((each) => each.name === name) as Tool;
    const child = launch(tool, ['test', '--', `--filter=${RUNNER}`], userEnv());
    const result = await finished(child, collect(child));
    const summary = /^(\d+) passed, (\d+) failed$/m.exec(result.output);
    expect(summary, result.output).not.toBeNull();
    const report = JSON.parse(readFileSync(join(root, 'tooling/runner/.test-results/vitest.json'), 'utf8'));
    expect(Number(summary?.[1])).toBe(report.numPassedTests);
    expect(Number(summary?.[1])).toBeGreaterThan(0);
    expect(summary?.[2]).toBe('0');
    expect(result.output).toContain(`${RUNNER}:lint`);
    expect(result.output).toContain(`${RUNNER}:typecheck`);
    expect(result.code).toBe(0);
  });

  it('fails with a count of failures when the run fails', async () => {
    const tool = tools.find((each) => each.name === name) as Tool;
    const child = launch(tool, ['test', '--', '--filter=@switchboard/no-such-package'], userEnv());
    const result = await finished(child, collect(child));
    expect(result.output).toMatch(/^0 passed, 1 failed$/m);
    expect(result.code).toBe(1);
  });
});
