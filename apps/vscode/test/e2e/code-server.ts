import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const appRoot = new URL('../..', import.meta.url).pathname;

/** A running code-server (a real VS Code build) with the extension installed, isolated in its own folder. */
export interface CodeServer {
  url: string;
  /** Folder holding everything code-server and the browser write (HOME, settings, extensions). */
  runDir: string;
  /** code-server's own output, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** The code-server versions the e2e suites use: VS Code 1.100.3 on Node 20, VS Code 1.105.1 on Node 22. */
export type CodeServerVersion = '4.100.3' | '4.105.1';

/** Installs code-server when missing (see scripts/install-code-server.sh) and returns its folder. */
export function installCodeServer(version: CodeServerVersion = '4.100.3'): string {
  const output = execFileSync('bash', [join(appRoot, 'scripts/install-code-server.sh'), version], {
    encoding: 'utf8',
  });
  return output.trim().split('\n').at(-1) ?? '';
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * The environment that keeps code-server (and the browser) out of the real HOME. `nodeBin` goes
 * first on PATH: code-server starts with `#!/usr/bin/env node`, and its extension host runs on it.
 */
export function isolatedEnv(runDir: string, nodeBin?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: nodeBin ? `${nodeBin}:${process.env.PATH}` : process.env.PATH,
    HOME: join(runDir, 'home'),
    XDG_CONFIG_HOME: join(runDir, 'config'),
    XDG_DATA_HOME: join(runDir, 'data'),
    XDG_CACHE_HOME: join(runDir, 'cache'),
    TMPDIR: join(runDir, 'tmp'),
    LANG: 'C.UTF-8',
  };
  for (const dir of ['home', 'config', 'data', 'cache', 'tmp'])
    mkdirSync(join(runDir, dir), { recursive: true });
  return env;
}

/** Installs the .vsix files into a fresh profile, writes the user settings, starts code-server and waits for it. */
export async function startCodeServer(options: {
  /** The extension, and any other extension the test needs beside it. */
  vsix: string | string[];
  settings: Record<string, unknown>;
  /** 4.100.3 unless given. */
  version?: CodeServerVersion;
}): Promise<CodeServer> {
  const installDir = installCodeServer(options.version);
  const bin = join(installDir, 'node_modules/.bin/code-server');
  const runDir = mkdtempSync(join(tmpdir(), 'switchboard-code-server-'));
  // 4.105.1 brings its own Node 22 (from the npm registry); 4.100.3 runs on the system's Node 20.
  const nodeBin = join(installDir, 'node/bin');
  const env = isolatedEnv(runDir, existsSync(join(nodeBin, 'node')) ? nodeBin : undefined);
  const port = await freePort();
  const userDataDir = join(runDir, 'user-data');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify(options.settings, null, 2));
  const config = join(runDir, 'config.yaml');
  writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const common = [
    '--config',
    config,
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    join(runDir, 'extensions'),
    '--disable-telemetry',
    '--disable-update-check',
  ];
  for (const vsix of [options.vsix].flat())
    execFileSync(bin, [...common, '--install-extension', vsix], { env, stdio: 'pipe' });
  let output = '';
  // Its own process group: stopping it also stops the extension host and file watcher it starts.
  const child: ChildProcess = spawn(
    bin,
    [...common, '--disable-workspace-trust', '--disable-getting-started-override', '--ignore-last-opened'],
    { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.pid === undefined) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(-child.pid, 'SIGTERM');
    const timer = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    rmSync(runDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer /healthz within 180 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { url, runDir, output: () => output, stop };
}
