import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '@switchboard/core';
import { findPostgresBinaries } from '@switchboard/test-utils';

/** A private PostgreSQL cluster a suite can restart under traffic (the shared test cluster cannot be). */
export interface PrivatePostgres {
  /** Connection string of the `postgres` database, as the superuser, on 127.0.0.1. */
  url: string;
  /** A new empty database on the cluster; its connection string. */
  createDatabase(): Promise<string>;
  /** `pg_ctl restart -m fast`: every connection is cut, the server comes back on the same port. */
  restart(): Promise<void>;
  /** Stops the cluster and removes its files. */
  stop(): void;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** initdb + pg_ctl start (as the postgres user when run as root, which initdb refuses). */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = findPostgresBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-trust-pg-'));
  const dataDir = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const command = (program: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, program), ...args]] : [join(bin, program), args];
  const runSync = (program: string, args: string[]) => {
    const [file, full] = command(program, args);
    const result = spawnSync(file, full, { encoding: 'utf8', cwd: dir });
    if (result.status !== 0)
      throw new Error(`${program} failed (${result.status}): ${result.stderr || result.stdout}`);
  };
  // Asynchronous, so traffic from this process keeps flowing while the cluster restarts.
  const run = (program: string, args: string[]) =>
    new Promise<void>((resolve, reject) => {
      const [file, full] = command(program, args);
      const child = spawn(file, full, { cwd: dir, stdio: 'ignore' });
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`${program} exited with ${code}`)),
      );
    });
  if (asRoot) {
    const id = (flag: string) =>
      Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, id('-u'), id('-g'));
  }
  runSync('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    '-c max_connections=200',
  ];
  runSync('pg_ctl', ['-D', dataDir, '-o', options.join(' '), '-l', join(dir, 'server.log'), '-w', 'start']);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    async createDatabase() {
      const name = `trust_${randomBytes(6).toString('hex')}`;
      const admin = openDatabase({ engine: 'postgres', connectionString: url, poolSize: 1 });
      try {
        if (admin.engine === 'postgres') await admin.pool.query(`create database ${name}`);
      } finally {
        await admin.close();
      }
      const database = new URL(url);
      database.pathname = `/${name}`;
      return database.toString();
    },
    restart: () => run('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'restart']),
    stop() {
      try {
        runSync('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
