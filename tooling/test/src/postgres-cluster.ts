import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A private PostgreSQL cluster started for one test run and removed afterwards. */
export interface PostgresCluster {
  /** Connection string for the `postgres` superuser on loopback. */
  url: string;
  /** Stops the server and deletes its data directory. */
  stop(): void;
}

/** Finds the newest installed PostgreSQL's binaries (Debian puts them in /usr/lib/postgresql/N/bin). */
export function findPostgresBinaries(): string {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((name) => existsSync(join(root, name, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return join(which.stdout.trim(), '..');
  throw new Error(
    'PostgreSQL is not installed: the storage tests run on PostgreSQL too. Install it (apt-get install postgresql) or set SWITCHBOARD_TEST_POSTGRES to a server URL.',
  );
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

/** Starts a throwaway cluster: initdb + pg_ctl as the postgres user when run as root (initdb refuses root). */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  const bin = findPostgresBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-pg-'));
  const dataDir = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const run = (command: string, args: string[]) => {
    const full = asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
    const result = spawnSync(full[0] as string, full[1] as string[], { encoding: 'utf8', cwd: dir });
    if (result.status !== 0) {
      throw new Error(`${command} failed (${result.status}): ${result.stderr || result.stdout}`);
    }
  };
  if (asRoot) chownSync(dir, uidOf('postgres'), gidOf('postgres'));
  run(join(bin, 'initdb'), ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=300',
  ].join(' ');
  run(join(bin, 'pg_ctl'), ['-D', dataDir, '-o', options, '-l', join(dir, 'server.log'), '-w', 'start']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      try {
        run(join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function idField(name: string, field: 'u' | 'g'): number {
  const result = spawnSync('id', [`-${field}`, name], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`no ${name} user: ${result.stderr}`);
  return Number(result.stdout.trim());
}
const uidOf = (name: string) => idField(name, 'u');
const gidOf = (name: string) => idField(name, 'g');
