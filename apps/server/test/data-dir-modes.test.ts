import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The server checks its SQLite folder and files at start, as it checks the master key file.
const serverRoot = new URL('..', import.meta.url).pathname;

/** Starts the server and stops it as soon as it listens; `listened` says whether it got that far. */
function startServer(dataDir: string): Promise<{ code: number | null; listened: boolean; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: serverRoot,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, SWITCHBOARD_DATA_DIR: dataDir, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let listened = false;
    child.stderr.on('data', (chunk) => (stderr += chunk));
    // Stopped at once (possibly before it installs its own SIGTERM handler): only the files matter here.
    child.stdout.on('data', (chunk) => {
      if (listened || !String(chunk).includes('"msg":"listening"')) return;
      listened = true;
      child.kill('SIGTERM');
    });
    child.on('close', (code) => resolve({ code, listened, stderr }));
  });
}

describe('the data folder at start', () => {
  it('refuses a folder other users can enter, with one line naming it and the fix, and writes nothing', {
    timeout: 60_000,
  }, async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'switchboard-modes-')), 'data');
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o755);
    const result = await startServer(dataDir);
    expect(result.code).toBe(1);
    expect(result.listened).toBe(false);
    expect(result.stderr.trim()).toBe(
      `switchboard: SQLite data readable by other users: ${dataDir} (mode 755); run chmod 700 '${dataDir}'`,
    );
    expect(existsSync(join(dataDir, 'switchboard.db'))).toBe(false);
    expect(existsSync(join(dataDir, 'master.key'))).toBe(false);
  });

  it('creates a missing folder private', { timeout: 60_000 }, async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'switchboard-modes-')), 'data');
    const result = await startServer(dataDir);
    expect(result.listened, result.stderr).toBe(true);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, 'switchboard.db')).mode & 0o777).toBe(0o600);
  });
});
