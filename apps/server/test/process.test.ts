import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSwitchboardClient } from '@switchboard/client';
import { afterEach, describe, expect, it } from 'vitest';

// The real entry points, as `pnpm start` and `pnpm switchboard` run them (SQLite, key file).
const serverRoot = new URL('..', import.meta.url).pathname;
const children: ChildProcess[] = [];

function baseEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    SWITCHBOARD_DATA_DIR: dataDir,
    ...extra,
  };
  return env;
}

function run(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: serverRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `switchboard setup` for the first owner (ops@example.test) and workspace Acme; stdout is the token. */
function setupWithCli(env: NodeJS.ProcessEnv) {
  return run(
    [
      'src/cli/main.ts',
      'setup',
      '--email',
      'ops@example.test',
      '--password',
      'long enough secret',
      '--workspace',
      'Acme',
    ],
    env,
  );
}

/** Starts `src/main.ts` on a free port and resolves with its URL once it logs `listening`. */
function startServerProcess(
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; url: string; logs: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: serverRoot,
      env: { ...env, PORT: '0', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = /"msg":"listening","url":"([^"]+)"/.exec(output);
      if (match?.[1]) resolve({ child, url: match[1], logs: () => output });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk) => (output += chunk));
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
}

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('the server and CLI processes (SQLite, key file)', () => {
  it('creates a 0600 key file, takes a CLI setup while running, serves the token, and stops cleanly on SIGTERM', {
    timeout: 90_000,
  }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-process-'));
    const env = baseEnv(dataDir);
    const server = await startServerProcess(env);
    const keyFile = join(dataDir, 'master.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);

    const setup = await setupWithCli(env);
    expect(setup.code).toBe(0);
    const token = setup.stdout.trim();
    expect(token).toMatch(/^sbp_/);
    expect(server.logs()).not.toContain(token);

    const me = await createSwitchboardClient({ url: server.url, token }).auth.me.query();
    expect(me.user.email).toBe('ops@example.test');

    // The start-up listener rejects on exit; replace it with one that reports the exit code.
    server.child.removeAllListeners('exit');
    const exited = new Promise<number | null>((resolve) => server.child.on('exit', (code) => resolve(code)));
    server.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(server.logs()).toContain('"msg":"stopped"');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs two workers on one port (each accepting its own connections) and stops them all on SIGTERM', {
    timeout: 90_000,
  }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-process-'));
    const env = baseEnv(dataDir, { SWITCHBOARD_WORKERS: '2' });
    const server = await startServerProcess(env);
    await expect.poll(() => server.logs().split('"msg":"listening"').length - 1, { timeout: 30_000 }).toBe(2);
    const setup = await setupWithCli(env);
    expect(setup.code).toBe(0);
    const token = setup.stdout.trim();
    // Separate connections, so both workers' accepts are exercised, and both hear the CLI's change.
    for (let index = 0; index < 6; index += 1) {
      const response = await fetch(`${server.url}/trpc/auth.me`, {
        headers: { authorization: `Bearer ${token}`, connection: 'close' },
      });
      expect(response.status).toBe(200);
    }
    server.child.removeAllListeners('exit');
    const exited = new Promise<number | null>((resolve) => server.child.on('exit', (code) => resolve(code)));
    server.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses to start with a missing or wrong master key once secrets exist, and never overwrites the key file', {
    timeout: 90_000,
  }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-process-'));
    const env = baseEnv(dataDir);
    const setup = await setupWithCli(env);
    expect(setup.code).toBe(0);
    // Encrypting once makes the workspace's data key exist: rotate does nothing else here.
    const keyFile = join(dataDir, 'master.key');
    const originalKey = readFileSync(keyFile, 'utf8');

    const wrong = await run(['src/main.ts'], {
      ...env,
      SWITCHBOARD_MASTER_KEY: Buffer.alloc(32, 1).toString('base64'),
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/master key does not match/i);

    rmSync(keyFile);
    const missing = await run(['src/main.ts'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/No master key/);
    expect(existsSync(keyFile)).toBe(false);

    const badPort = await run(['src/main.ts'], { ...env, PORT: 'eighty' });
    expect(badPort.code).toBe(1);
    expect(badPort.stderr).toContain('PORT');
    expect(originalKey).toBeTruthy();
    rmSync(dataDir, { recursive: true, force: true });
  });
});
