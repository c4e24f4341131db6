import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Core, startChangeFeed } from '@switchboard/core';
import { openCore, readEnv } from '@switchboard/server';
import { Processes, type ServerProcess } from '@switchboard/server/test/processes';

/** Fake master key of the trust suites' servers: 32 bytes, base64, obviously not a real one. */
export const TRUST_MASTER_KEY = Buffer.alloc(32, 7).toString('base64');

/**
 * A real server process (`src/main.ts`, as `pnpm start` runs it) on SQLite in a private data
 * folder, and a core opened in the test process on the same database file: the suites set up
 * users and resources through core services and read the rows back, while every call under test
 * goes over HTTP to the process, which hears the test's writes through SQLite's change log.
 */
export interface TrustServer {
  /** Base URL of the server process, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** The server process (logs, stop, kill). */
  process: ServerProcess;
  /** Core on the same database, in the test process. */
  core: Core;
  /** The data folder (SQLite file, master key). */
  dataDir: string;
  /** Stops the server (SIGTERM) and closes the test's core. */
  close(): Promise<void>;
}

/** Starts a server process over a fresh SQLite database; `env` adds or overrides its variables. */
export async function startTrustServer(
  processes: Processes,
  env: Record<string, string> = {},
): Promise<TrustServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-trust-'));
  const variables = processes.env(dataDir, {
    SWITCHBOARD_MASTER_KEY: TRUST_MASTER_KEY,
    // `listening` is logged at info: the process helper waits for it.
    LOG_LEVEL: 'info',
    ...env,
  });
  const process = await processes.server(variables);
  const core = await openCore(readEnv({ ...variables, PORT: '0' }));
  // The test's writes reach the server's caches and subscribers as another instance's would.
  const stopFeed = await startChangeFeed(core, {
    onError: (message, error) => {
      throw new Error(`${message}: ${String(error)}`);
    },
  });
  return {
    url: process.url,
    process,
    core,
    dataDir,
    async close() {
      await stopFeed();
      await core.close();
      await process.stop();
    },
  };
}

export { Processes, type ServerProcess };
