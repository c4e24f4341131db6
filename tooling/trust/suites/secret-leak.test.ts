import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSwitchboardClient, type SwitchboardClient } from '@switchboard/client';
import { openDatabase } from '@switchboard/core';
import {
  ENGINES,
  type EngineName,
  type FakeUpstream,
  findPostgresBinaries,
  type PostgresCluster,
  type RecordedRequest,
  startFakeUpstream,
  startPostgresCluster,
} from '@switchboard/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { type CliRun, Processes, type ServerProcess } from '@switchboard/server/test/processes';
import { ResponseCapture } from '../src/leak-capture.ts';
import { type Canary, LeakScanner, makeCanary } from '../src/leak-scanner.ts';
import { recordTrust } from '../src/summary.ts';

// Issue 13, suite 2: canary secrets go through every path a provider key takes (created, edited,
// validated with failures, switched, used through the gateway by upstreams that echo it back
// whole, cut, upper-cased and base64-encoded, removed; the master key rotated twice under
// traffic), then every byte the server produced or stored is searched for them.

// No name here holds "canary": a run of a canary's prefix and its first letter would match it.
const MODEL = { name: 'leak-model', type: 'llm' as const };
const GATEWAY_MODEL = `openai-compatible/${MODEL.name}`;
const PROVIDER = 'openai-compatible' as const;

/** How an upstream echoes the key it was sent, in its error body and message. */
const ECHOES = [
  'whole',
  'first half',
  'second half',
  'upper case',
  'base64',
  'basic auth',
  'spaced',
] as const;
type Echo = (typeof ECHOES)[number];

function echoed(key: string, echo: Echo): string {
  const half = Math.floor(key.length / 2);
  switch (echo) {
    case 'whole':
      return key;
    case 'first half':
      return key.slice(0, half);
    case 'second half':
      return key.slice(half);
    case 'upper case':
      return key.toUpperCase();
    case 'base64':
      return Buffer.from(key).toString('base64');
    case 'basic auth':
      return `Basic ${Buffer.from(`user:${key}`).toString('base64')}`;
    case 'spaced':
      return key.split('').join(' ');
  }
}

/**
 * An OpenAI-compatible upstream that accepts the keys in `accepted` and answers every other key
 * with an error echoing it (in the mode `echo` names: status, body, message and a header).
 */
class EchoingUpstream {
  readonly accepted = new Set<string>();
  echo: Echo = 'whole';
  status = 401;

  constructor(readonly upstream: FakeUpstream) {
    upstream.route('GET', '/v1/models', (request, response) =>
      this.#answer(request, response, () => ({
        object: 'list',
        data: [{ id: MODEL.name, object: 'model', created: 0, owned_by: 'leak-scan' }],
      })),
    );
    upstream.route('POST', '/v1/chat/completions', (request, response) =>
      this.#answer(request, response, () => ({
        id: 'chatcmpl-leak',
        object: 'chat.completion',
        created: 0,
        model: MODEL.name,
        choices: [{ index: 0, message: { role: 'assistant', content: 'hello' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
      })),
    );
  }

  #answer(request: RecordedRequest, response: ServerResponse, ok: () => unknown): void {
    const key = (request.headers.authorization ?? '').replace(/^Bearer /, '');
    if (this.accepted.has(key)) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(ok()));
      return;
    }
    const trace = echoed(key, this.echo);
    response.writeHead(this.status, {
      'content-type': 'application/json',
      'x-echoed-key': Buffer.from(trace)
        .toString('latin1')
        .replace(/[^\x20-\x7e]/g, '?'),
    });
    response.end(
      JSON.stringify({
        error: {
          message: `Incorrect API key provided: ${trace}. You can find your API key at https://example.test.`,
          type: 'invalid_request_error',
          param: trace,
          code: 'invalid_api_key',
        },
      }),
    );
  }
}

const processes = new Processes();
let cluster: PostgresCluster | undefined;
let upstream: FakeUpstream;
let echo: EchoingUpstream;
const scanners: LeakScanner[] = [];
/** Console pages and assets fetched per engine (0: the console is not built in this run). */
const consolePagesSearched: number[] = [];
/** The engines whose scenario ran to the search. */
const enginesScanned: EngineName[] = [];

beforeAll(async () => {
  upstream = await startFakeUpstream();
  echo = new EchoingUpstream(upstream);
});
afterAll(async () => {
  await upstream?.close();
  cluster?.stop();
});
afterEach(() => processes.killAll());

/** A fresh PostgreSQL database: on the run's cluster when the config provides one, else on a private one. */
async function postgresDatabase(): Promise<string> {
  let base = inject('postgresUrl' as never) as string | undefined;
  if (!base) {
    cluster ??= await startPostgresCluster();
    base = cluster.url;
  }
  const name = `sb_leak_${Date.now().toString(36)}`;
  const admin = openDatabase({ engine: 'postgres', connectionString: base, poolSize: 1 });
  if (admin.engine !== 'postgres') throw new Error('expected PostgreSQL');
  try {
    await admin.pool.query(`create database ${name}`);
  } finally {
    // Kysely never used this pool, so its destroy would leave the pool's connection open.
    await admin.pool.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The text of a tRPC error, whatever its shape, for the scan (the client throws what the server sent). */
async function outcome<T>(work: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await work };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Every row of every table, each value as text (bytes as they are), one line per row. */
async function dumpRows(
  engine: EngineName,
  dataDir: string,
  databaseUrl: string | undefined,
): Promise<Buffer> {
  const parts: Buffer[] = [];
  const add = (value: unknown) =>
    parts.push(Buffer.isBuffer(value) ? value : Buffer.from(`${value === null ? '' : String(value)}\t`));
  if (engine === 'sqlite') {
    const handle = openDatabase({ engine: 'sqlite', filename: join(dataDir, 'switchboard.db') });
    try {
      if (handle.engine !== 'sqlite') throw new Error('expected SQLite');
      const tables = handle.sqlite
        .prepare("select name from sqlite_master where type = 'table'")
        .pluck()
        .all() as string[];
      for (const table of tables) {
        for (const row of handle.sqlite.prepare(`select * from "${table}"`).raw().all() as unknown[][]) {
          row.forEach(add);
          parts.push(Buffer.from('\n'));
        }
      }
    } finally {
      await handle.close();
    }
  } else {
    const handle = openDatabase({ engine: 'postgres', connectionString: databaseUrl as string, poolSize: 1 });
    if (handle.engine !== 'postgres') throw new Error('expected PostgreSQL');
    try {
      const { rows } = await handle.pool.query<{ schema: string; name: string }>(
        "select table_schema as schema, table_name as name from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema') and table_type = 'BASE TABLE'",
      );
      for (const { schema, name } of rows) {
        const result = await handle.pool.query({
          text: `select * from "${schema}"."${name}"`,
          rowMode: 'array',
        });
        for (const row of result.rows as unknown[][]) {
          row.forEach(add);
          parts.push(Buffer.from('\n'));
        }
      }
    } finally {
      await handle.pool.end();
    }
  }
  return Buffer.concat(parts);
}

/** Every file under `dir`, raw (the SQLite database, its WAL, the usage journal, key files). */
function filesUnder(dir: string): { path: string; bytes: Buffer }[] {
  const found: { path: string; bytes: Buffer }[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...filesUnder(path));
    else found.push({ path: path.slice(dir.length + 1), bytes: readFileSync(path) });
  }
  return found;
}

/** The console's pages and every script, style and JSON they refer to (same origin), as served. */
async function crawlConsole(url: string, fetchCaptured: typeof globalThis.fetch): Promise<number> {
  const queue = ['/', '/login', '/setup'];
  const seen = new Set<string>();
  while (queue.length > 0 && seen.size < 200) {
    const path = queue.shift() as string;
    if (seen.has(path)) continue;
    seen.add(path);
    const response = await fetchCaptured(`${url}${path}`);
    const text = await response.text();
    for (const match of text.matchAll(/(?:src|href|import)\s*=?\s*\(?["'](\/[^"'#?]+)["']/g)) {
      const next = match[1] as string;
      if (!next.startsWith('/trpc') && !next.startsWith('/v1') && !seen.has(next)) queue.push(next);
    }
    // Scripts import their chunks by relative path; pages name them from the root.
    for (const match of text.matchAll(/["']((?:\.{1,2}\/|\/_app\/)[^"'\s]+\.(?:js|css|json))["']/g)) {
      const next = new URL(match[1] as string, `${url}${path}`).pathname;
      if (!seen.has(next)) queue.push(next);
    }
  }
  return seen.size;
}

describe('the leak search', () => {
  it('finds every echo the upstream sends, so that zero hits below means zero traces', () => {
    const canary = makeCanary('probe');
    for (const mode of ECHOES) {
      const scanner = new LeakScanner([canary]);
      const body = JSON.stringify({
        error: { message: `Incorrect API key provided: ${echoed(canary.value, mode)}` },
      });
      expect(scanner.search(`probe ${mode}`, body), mode).toHaveLength(1);
    }
    // 8 letters and digits of it, anywhere, even in other text; 7 are not a trace.
    const bare = canary.value.replace(/-/g, '');
    expect(
      new LeakScanner([canary]).search('probe run', `id=${bare.slice(20, 28).toUpperCase()}x`),
    ).toHaveLength(1);
    expect(new LeakScanner([canary]).search('probe short', `id=${bare.slice(20, 27)}`)).toHaveLength(0);
    // Nothing the scenario's own names say looks like a canary.
    expect(
      new LeakScanner([canary]).search('names', `${GATEWAY_MODEL} ${MODEL.name} chatcmpl-leak Leaks`),
    ).toEqual([]);
  });
});

describe.each(ENGINES)('secret-leak scan on %s', (engine) => {
  it('finds no trace of any canary in anything the server produced or stored', {
    timeout: 600_000,
  }, async () => {
    const keys = {
      first: makeCanary('key A (created with the model)'),
      rejected: makeCanary('key B (validation fails)'),
      second: makeCanary('key C (added, switched to)'),
      edited: makeCanary('key D (edited in)'),
      failing: makeCanary('key E (upstream turns it away at call time)'),
      removed: makeCanary('key F (removed)'),
    };
    const canaries: Canary[] = Object.values(keys);
    const scanner = new LeakScanner(canaries);
    scanners.push(scanner);
    const capture = new ResponseCapture();
    const cliRuns: { place: string; run: CliRun }[] = [];

    const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-leak-'));
    const databaseUrl = engine === 'postgres' ? await postgresDatabase() : undefined;
    const env = processes.env(dataDir, { DATABASE_URL: databaseUrl, LOG_LEVEL: 'debug' });
    const cli = async (args: string[]) => {
      const run = await processes.cli(args, env);
      cliRuns.push({ place: `cli ${args[0]}`, run });
      expect(run.code, `switchboard ${args[0]} failed (its output is searched below)`).toBe(0);
      return run;
    };

    const setup = await cli([
      'setup',
      '--email',
      'owner@example.test',
      '--password',
      'a long enough password',
      '--workspace',
      'Leaks',
    ]);
    const token = setup.stdout.trim();
    const servers: ServerProcess[] = [await processes.server(env)];
    const server = servers[0] as ServerProcess;
    const client: SwitchboardClient = createSwitchboardClient({
      url: server.url,
      token,
      fetch: capture.fetch('trpc'),
    });
    const [membership] = await client.workspaces.list.query();
    if (!membership) throw new Error('setup made no workspace');
    const workspaceId = membership.workspace.id;

    // The change feed, open through the whole scenario.
    const notices: unknown[] = [];
    const feed = client.changes.subscribe.subscribe(
      { workspaceId },
      { onData: (notice) => notices.push(notice), onError: () => undefined },
    );

    const owner = { workspaceId, provider: PROVIDER, model: MODEL };
    const baseUrl = `${upstream.url}/v1`;
    const values = (key: Canary) => ({ base_url: baseUrl, api_key: key.value });

    // Created: the custom model with its first key.
    echo.accepted.add(keys.first.value);
    await client.providers.install.mutate({ workspaceId, provider: PROVIDER });
    await client.models.addCustom.mutate({
      workspaceId,
      provider: PROVIDER,
      model: MODEL,
      credential: { name: 'first', values: values(keys.first) },
    });

    // Validated with failures: the upstream echoes the rejected key back in every form.
    for (const mode of ECHOES) {
      echo.echo = mode;
      const checked = await outcome(
        client.credentials.validate.mutate({ ...owner, values: values(keys.rejected) }),
      );
      const created = await outcome(
        client.credentials.create.mutate({
          ...owner,
          name: `rejected ${mode}`,
          values: values(keys.rejected),
        }),
      );
      expect(created.ok).toBe(false);
      void checked;
    }

    // The SSRF rule through the real server: a metadata base URL is a field error on base_url.
    const metadata = await outcome(
      client.credentials.validate.mutate({
        ...owner,
        values: { base_url: 'http://169.254.169.254/v1', api_key: keys.rejected.value },
      }),
    );
    expect(metadata.ok).toBe(false);
    expect(JSON.stringify((metadata as { error: { data?: unknown } }).error.data)).toContain('base_url');

    // Added and switched to; then edited to a new key.
    echo.accepted.add(keys.second.value);
    const second = await client.credentials.create.mutate({
      ...owner,
      name: 'second',
      values: values(keys.second),
    });
    await client.credentials.activate.mutate({ workspaceId, credentialId: second.id });
    echo.accepted.add(keys.edited.value);
    await client.credentials.update.mutate({
      workspaceId,
      credentialId: second.id,
      values: values(keys.edited),
    });
    await client.credentials.revalidate.mutate({ workspaceId, credentialId: second.id });

    // Used through the gateway: successful calls, then a key the upstream turns away, echoing it.
    const apiKey = (await client.apiKeys.create.mutate({ workspaceId, name: 'leak scan' })).key;
    const gatewayFetch = capture.fetch('v1');
    const chat = (stream = false) =>
      gatewayFetch(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: GATEWAY_MODEL, messages: [{ role: 'user', content: 'hi' }], stream }),
      }).then((response) => response.arrayBuffer());
    for (let call = 0; call < 4; call++) await chat(call % 2 === 1);

    echo.accepted.add(keys.failing.value);
    const failing = await client.credentials.create.mutate({
      ...owner,
      name: 'failing',
      values: values(keys.failing),
    });
    await client.credentials.activate.mutate({ workspaceId, credentialId: failing.id });
    echo.accepted.delete(keys.failing.value);
    for (const status of [401, 400, 500]) {
      echo.status = status;
      for (const mode of ECHOES) {
        echo.echo = mode;
        await chat(mode.length % 2 === 0);
      }
    }
    echo.status = 401;
    await outcome(client.credentials.revalidate.mutate({ workspaceId, credentialId: failing.id }));

    // Removed: a key added, used, then removed.
    echo.accepted.add(keys.removed.value);
    const removed = await client.credentials.create.mutate({
      ...owner,
      name: 'removed',
      values: values(keys.removed),
    });
    await client.credentials.activate.mutate({ workspaceId, credentialId: removed.id });
    await chat();
    await client.credentials.activate.mutate({ workspaceId, credentialId: second.id });
    await client.credentials.remove.mutate({ workspaceId, credentialId: removed.id });

    // The master key rotated twice under traffic (successful and failing calls alike).
    let traffic = true;
    const background = (async () => {
      for (let call = 0; traffic; call++) {
        if (call % 5 === 4) echo.echo = ECHOES[call % ECHOES.length] as Echo;
        await chat(call % 3 === 0).catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    await cli(['rotate-master-key']);
    await cli(['rotate-master-key']);
    traffic = false;
    await background;
    await client.credentials.revalidate.mutate({ workspaceId, credentialId: second.id });

    // Everything a client can read back: lists, audit, usage, the export.
    await client.credentials.list.query(owner);
    await client.credentials.list.query({ workspaceId, provider: PROVIDER });
    await client.models.list.query({ workspaceId });
    await client.providers.list.query({ workspaceId });
    await client.audit.list.query({ workspaceId, limit: 200 });
    await client.usage.summary.query({ workspaceId });
    await cli(['export', '--workspace', 'Leaks']);

    // The console, as the same server serves it.
    const consolePages = existsSync(new URL('../../../apps/web/build/handler.js', import.meta.url))
      ? await crawlConsole(server.url, capture.fetch('console'))
      : 0;

    feed.unsubscribe();
    expect(await server.stop()).toBe(0);
    await capture.settled();
    expect(notices.length).toBeGreaterThan(0);

    // The search: every response, every log line, every CLI output, every stored byte.
    for (const [index, response] of capture.responses.entries()) {
      scanner.search(`${response.place} headers #${index}`, response.headers);
      scanner.search(`${response.place} body #${index}`, response.body);
    }
    scanner.search('server log (debug)', server.logs());
    for (const { place, run } of cliRuns) scanner.search(`${place} output`, `${run.stdout}\n${run.stderr}`);
    scanner.search(`${engine} rows`, await dumpRows(engine, dataDir, databaseUrl));
    for (const file of filesUnder(dataDir))
      scanner.search(`data dir ${file.path.replace(/\d+/g, 'N')}`, file.bytes);
    if (engine === 'postgres') {
      const dump = spawnSync(join(findPostgresBinaries(), 'pg_dump'), [databaseUrl as string], {
        maxBuffer: 256 * 1024 * 1024,
      });
      expect(dump.status, String(dump.stderr)).toBe(0);
      scanner.search('pg_dump', dump.stdout);
    }
    rmSync(dataDir, { recursive: true, force: true });

    const gatewayCalls = capture.responses.filter((response) => response.place.startsWith('v1')).length;
    console.log(
      `secret-leak ${engine}: ${canaries.length} canaries, ${scanner.places} places, ${scanner.bytes} bytes, ` +
        `${gatewayCalls} /v1 calls, ${notices.length} change notices, ${consolePages} console pages`,
    );
    expect(gatewayCalls).toBeGreaterThan(40);
    // The echoes really came back through the gateway (redacted), so zero hits is not an empty test.
    const echoedBack = capture.responses.filter(
      (response) => response.place.startsWith('v1') && response.body.includes('[redacted]'),
    ).length;
    expect(echoedBack).toBeGreaterThan(ECHOES.length);
    consolePagesSearched.push(consolePages);
    enginesScanned.push(engine);
    expect(scanner.hits, `canaries found:\n${scanner.report()}`).toEqual([]);
  });
});

afterAll(() => {
  const canaries = scanners.reduce((sum, scanner) => sum + scanner.canaries.length, 0);
  const places = scanners.reduce((sum, scanner) => sum + scanner.places, 0);
  const bytes = scanners.reduce((sum, scanner) => sum + scanner.bytes, 0);
  const hits = scanners.reduce((sum, scanner) => sum + scanner.hits.length, 0);
  const pages = consolePagesSearched.reduce((sum, count) => sum + count, 0);
  recordTrust('secret-leak', [
    { check: 'canaries', tried: canaries, result: `on ${enginesScanned.join(' and ') || 'no engine'}` },
    {
      check: 'places searched',
      tried: places,
      result: `responses, feed, debug logs, CLI, rows, files, dump; ${pages > 0 ? `${pages} console pages` : 'console not built'}`,
    },
    { check: 'bytes searched', tried: bytes, result: `${(bytes / 1024 / 1024).toFixed(1)} MiB` },
    { check: 'hits', tried: `${canaries} canaries x ${places} places`, result: `${hits} found` },
  ]);
});
