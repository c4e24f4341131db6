import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openDatabase } from '@switchboard/core';
import type { EngineName } from '@switchboard/test-utils';
import { inject } from 'vitest';

// Real server and CLI processes, as `pnpm start` and `pnpm switchboard` run them, for tests
// that need real files, real signals and more than one process on one database.
const serverRoot = new URL('..', import.meta.url).pathname;

/** Output of a finished CLI run. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A server process that has logged `listening`. */
export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Everything it wrote so far (stdout and stderr). */
  logs(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, without waiting for anything it queued. */
  kill(): Promise<void>;
}

/** Tracks the processes a test file started, so each test can end what it left running. */
export class Processes {
  readonly #children = new Set<ChildProcess>();

  /** The environment of a server or CLI process over `dataDir` (and `databaseUrl` for PostgreSQL). */
  env(dataDir: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    return { PATH: process.env.PATH, HOME: process.env.HOME, SWITCHBOARD_DATA_DIR: dataDir, ...extra };
  }

  /** Runs `switchboard ARGS` to its end. */
  cli(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
    return new Promise((resolve) => {
      const child = this.#spawn(['src/cli/main.ts', ...args], env);
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (chunk) => (stdout += chunk));
      child.stderr?.on('data', (chunk) => (stderr += chunk));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  /** Starts `src/main.ts` on a free port and resolves once it logs `listening`. */
  server(env: NodeJS.ProcessEnv): Promise<ServerProcess> {
    return new Promise((resolve, reject) => {
      const child = this.#spawn(['src/main.ts'], { ...env, PORT: '0', LOG_LEVEL: env.LOG_LEVEL ?? 'info' });
      let output = '';
      const timer = setTimeout(() => reject(new Error(`server did not log "listening": ${output}`)), 60_000);
      const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
      const onData = (chunk: Buffer) => {
        output += chunk;
        const match = /"msg":"listening","url":"([^"]+)"/.exec(output);
        if (match?.[1]) {
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          child.stdout?.on('data', (more: Buffer) => (output += more));
          const started: ServerProcess = {
            child,
            url: match[1],
            logs: () => output,
            stop: async () => {
              child.kill('SIGTERM');
              return exited;
            },
            kill: async () => {
              child.kill('SIGKILL');
              await exited;
            },
          };
          // Resolved once a request is answered, so a test's first call never races the start.
          fetch(`${started.url}/healthz`).then(
            () => resolve(started),
            (error: unknown) => reject(error),
          );
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (chunk) => (output += chunk));
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`server exited with ${code}: ${output}`));
      });
    });
  }

  /** Ends whatever is still running (after each test). */
  killAll(): void {
    for (const child of this.#children) if (child.exitCode === null) child.kill('SIGKILL');
    this.#children.clear();
  }

  #spawn(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: serverRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#children.add(child);
    child.on('exit', () => this.#children.delete(child));
    return child;
  }
}

/**
 * `DATABASE_URL` for a server process: unset for SQLite (a file in the data dir), or a fresh
 * PostgreSQL database on the test cluster, so processes started with it share nothing else.
 */
export async function processDatabaseUrl(engine: EngineName): Promise<string | undefined> {
  if (engine === 'sqlite') return undefined;
  const base = inject('postgresUrl');
  if (!base) throw new Error('postgresUrl not provided: add the postgres global setup to vitest.config.ts');
  const name = `sb_${randomBytes(6).toString('hex')}`;
  const admin = openDatabase({ engine: 'postgres', connectionString: base, poolSize: 1 });
  try {
    if (admin.engine === 'postgres') await admin.pool.query(`create database ${name}`);
  } finally {
    await admin.close();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}
