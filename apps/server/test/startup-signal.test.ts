import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrateHandle, openDatabase } from '@switchboard/core';
import { describe, expect, it } from 'vitest';

// A SIGTERM that arrives while the server starts (migrations under way) takes the graceful path:
// start-up stops after the step under way, the database is closed whole, the exit is clean.
const serverRoot = new URL('..', import.meta.url).pathname;

/** Whether process `pid` has `path` open (it reached the database). */
function holdsOpen(pid: number, path: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === path;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

describe('a signal during start-up', () => {
  it('stops the server cleanly, with every migration whole and nothing served', {
    timeout: 60_000,
  }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-startup-signal-'));
    const filename = join(dataDir, 'switchboard.db');
    // Another process (here: this test) holds the write lock, so the server's migrations wait for
    // it: a window inside start-up that lasts as long as the test wants.
    const holder = openDatabase({ engine: 'sqlite', filename });
    if (holder.engine !== 'sqlite') throw new Error('unreachable');
    holder.sqlite.exec('BEGIN IMMEDIATE');
    holder.sqlite.exec('create table lock_holder (id integer)');

    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: serverRoot,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, SWITCHBOARD_DATA_DIR: dataDir, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    try {
      await expect
        .poll(() => holdsOpen(child.pid as number, filename), { timeout: 30_000, interval: 50 })
        .toBe(true);
      child.kill('SIGTERM');
      // The signal is in; the server is still waiting for the lock. Let it go on.
      await new Promise((resolve) => setTimeout(resolve, 300));
      holder.sqlite.exec('COMMIT');
      expect(await exited, output).toEqual({ code: 0, signal: null });
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await holder.close();
    }
    expect(output).toContain('"msg":"signal received","signal":"SIGTERM"');
    expect(output).toContain('stopped before start-up finished');
    expect(output).not.toContain('"msg":"listening"');

    const after = openDatabase({ engine: 'sqlite', filename });
    try {
      if (after.engine !== 'sqlite') throw new Error('unreachable');
      expect(after.sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
      // Every migration the server began was finished: none is left to run.
      expect(await migrateHandle(after)).toEqual([]);
    } finally {
      await after.close();
    }
  });
});
