// Fuzzing (issue 13, suite 3): every tRPC procedure and every /v1 endpoint of a real server
// process, with inputs fast-check generates (wrong types, huge and deeply nested bodies, odd
// Unicode and lone surrogates, bad escapes and broken JSON, bad content types, duplicate and
// oversized headers, bad methods). What must hold for every case: never a 500, the process
// never falls over (the health check answers after every batch), and a rejected request writes
// nothing (every table's rows compared before and after).
//
// Bounded: a fixed number of runs per target (TRUST_FUZZ_RUNS scales them), one seed for the
// whole file, printed with every failure (TRUST_FUZZ_SEED=<seed> replays it). One engine
// (SQLite): what is fuzzed is parsing and validation above the storage layer, the same code on
// both engines.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseSnapshot, databaseSnapshot, snapshotChanges } from '../src/db-snapshot.ts';
import { rawRequest } from '../src/raw-request.ts';
import { recordTrust } from '../src/summary.ts';
import { routerProcedures } from '../src/router-procedures.ts';
import { Processes, startTrustServer, type TrustServer } from '../src/trust-server.ts';
import { createTrustWorkspaces, type TrustWorkspaces } from '../src/trust-workspaces.ts';

const SEED = Number(process.env.TRUST_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const SCALE = Number(process.env.TRUST_FUZZ_RUNS ?? 1);
/** Runs per tRPC procedure, per /v1 endpoint, and of raw header and method abuse. */
const RUNS = {
  procedure: Math.ceil(6 * SCALE),
  password: Math.ceil(2 * SCALE),
  v1: Math.ceil(20 * SCALE),
  raw: Math.ceil(100 * SCALE),
};

// ---- What is sent -------------------------------------------------------------------------

/** Strings a careless parser trips on: lone surrogates, controls, bidi marks, combining marks, huge ones. */
const oddString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({
    unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
    maxLength: 20,
  }),
  fc.constantFrom(
    '\uD800',
    '\uDFFF',
    'a\uD83D',
    '\u0000',
    '\u202Eevil',
    '\uFEFF',
    'e\u0301',
    '𝕏',
    '../../etc/passwd',
    '%E0%A4%A',
    '__proto__',
    'constructor',
  ),
  fc.integer({ min: 1_000, max: 200_000 }).map((length) => 'x'.repeat(length)),
);

/** Any JSON-ish value, a few levels deep. */
const anyValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    oddString,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(oddString, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** Field names the procedures and endpoints take, so generated objects reach past "unknown shape". */
const FIELDS = [
  'workspaceId',
  'name',
  'email',
  'password',
  'role',
  'memberId',
  'apiKeyId',
  'tokenId',
  'invitationId',
  'provider',
  'model',
  'credentialId',
  'credential',
  'values',
  'version',
  'confirm',
  'days',
  'limit',
  'before',
  'type',
  'enabled',
  'credentials',
  'models',
  'from',
  'to',
  'expiresInDays',
  'workspaceName',
  'messages',
  'input',
  'stream',
  'max_tokens',
  'tools',
  'previous_response_id',
  'documents',
  'query',
  'voice',
] as const;

/** A body that almost fits: real field names, each with a plausible or a hostile value. */
function objectFor(workspaceId: string): fc.Arbitrary<unknown> {
  const plausible = fc.oneof(
    anyValue,
    fc.constantFrom(workspaceId, 'openai-compatible', 'default', 'owner', 'llm', 0, 1, true, {}, []),
    fc.constant({ name: 'local-model', type: 'llm' }),
    fc.constant([{ role: 'user', content: 'hi' }]),
  );
  return fc
    .tuple(fc.boolean(), fc.dictionary(fc.constantFrom(...FIELDS), plausible, { maxKeys: 6 }))
    .map(([inA, fields]) => (inA ? { workspaceId, ...fields } : fields));
}

/** Text that is not valid JSON, or is JSON no parser should be made to work hard on. */
const brokenJson = fc.oneof(
  fc.constantFrom(
    '{"name":"\\x41"}',
    '{"name":"\\u12"}',
    '{"name":"\\uD800"}',
    '{"a":1,}',
    '{"a":NaN}',
    "{'a':1}",
    '{"__proto__":{"polluted":true}}',
    '{"a":1}{"a":2}',
    '\u0000',
    '',
    'null',
    '[]',
    '"just a string"',
  ),
  fc.json().map((text) => text.slice(0, Math.max(0, text.length - 1))),
  fc.integer({ min: 100, max: 60_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
  fc.integer({ min: 100, max: 60_000 }).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
);

/** Bytes that are not UTF-8: a lone surrogate encoded anyway, truncated sequences, stray continuation bytes. */
const badUtf8 = fc.constantFrom(
  Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]),
  Buffer.from([0xff, 0xfe, 0xfd]),
  Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]),
  Buffer.from([0xe0, 0xa4]),
);

/** A request body: JSON of a generated value or object, broken JSON, bad bytes, or (rarely) one over every limit. */
function bodyFor(workspaceId: string): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { arbitrary: anyValue.map((value) => Buffer.from(JSON.stringify(value) ?? 'null')), weight: 3 },
    { arbitrary: objectFor(workspaceId).map((value) => Buffer.from(JSON.stringify(value))), weight: 5 },
    { arbitrary: brokenJson.map((text) => Buffer.from(text)), weight: 2 },
    { arbitrary: badUtf8, weight: 1 },
    { arbitrary: fc.constant(Buffer.alloc(3 * 1024 * 1024, 0x61)), weight: 1 },
  );
}

/** Percent-encodes every byte of `text` as UTF-8 (a lone surrogate becomes U+FFFD, where encodeURIComponent throws). */
function percentEncode(text: string): string {
  let encoded = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    encoded += /[A-Za-z0-9_.~-]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

/** A query string's `input`: encoded JSON, or raw text with bad percent escapes. */
function queryFor(workspaceId: string): fc.Arbitrary<string> {
  return fc.oneof(
    objectFor(workspaceId).map((value) => `?input=${percentEncode(JSON.stringify(value))}`),
    anyValue.map((value) => `?input=${percentEncode(JSON.stringify(value) ?? '')}`),
    brokenJson.map((text) => `?input=${percentEncode(text)}`),
    fc.constantFrom(
      '?input=%E0%A4%A',
      '?input=%',
      '?input=%ZZ',
      '?input=%00',
      '?input=%ED%A0%80',
      '?batch=1&input=x',
      '?input',
    ),
  );
}

// ---- How it is judged -----------------------------------------------------------------------

/** Totals for the summary. */
const totals = {
  cases: 0,
  /** /v1 calls answered 2xx, and usage rows that no answer accounts for. */
  v1Accepted: 0,
  rejectedUsage: 0,
  trpc: 0,
  v1: 0,
  raw: 0,
  fiveHundreds: 0,
  crashes: 0,
  healthChecks: 0,
  rejected: 0,
  changed: 0,
};
const problems: string[] = [];
/** Statuses of refused /v1 calls, by count: each may leave one usage row recording that refusal. */
const v1Refusals = new Map<number, number>();

/** The parts of an answer a property judges. */
interface Outcome {
  status: number | null;
  /** The tRPC error code inside the body or a stream, when there is one. */
  code: string | null;
  text: string;
}

async function outcomeOf(response: Response): Promise<Outcome> {
  if ((response.headers.get('content-type') ?? '').includes('text/event-stream')) {
    // A subscription stays open: its first events say whether it was refused; then it is dropped.
    const reader = response.body?.getReader();
    let text = '';
    const decoder = new TextDecoder();
    const deadline = setTimeout(() => void reader?.cancel().catch(() => undefined), 1_000);
    try {
      while (reader && !/event: serialized-error[\s\S]*\n\n/.test(text) && text.length < 10_000) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
    } catch {
      // Cancelled at the deadline: an open, silent stream.
    } finally {
      clearTimeout(deadline);
      await reader?.cancel().catch(() => undefined);
    }
    const code = /"code":"([A-Z_]+)"/.exec(text)?.[1] ?? null;
    return { status: response.status, code, text: text.slice(0, 300) };
  }
  const text = await response.text();
  const code = /"code":"([A-Z_]+)"/.exec(text)?.[1] ?? null;
  return { status: response.status, code, text: text.slice(0, 300) };
}

/** Largest body any endpoint accepts (the /v1 JSON limit; /trpc's is smaller). */
const LARGEST_ACCEPTED_BODY = 2 * 1024 * 1024;

/**
 * Sends with fetch; a connection the server closed without an answer is an outcome too. That is
 * expected only for a body over every limit (refused on its Content-Length, closed while the
 * client still uploads): for any other body it is reported as dropped.
 */
async function sendFetch(url: string, init: RequestInit & { body?: Buffer }): Promise<Outcome> {
  try {
    return await outcomeOf(await fetch(url, init));
  } catch (error) {
    const size = init.body?.length ?? 0;
    const text = `connection closed without an answer: ${String((error as Error).cause ?? error)}`;
    return { status: null, code: size > LARGEST_ACCEPTED_BODY ? 'CLOSED_OVER_LIMIT' : 'DROPPED', text };
  }
}

/** A case, short enough for a failure message (bodies cut, buffers as text). */
function describeValue(value: object): string {
  return JSON.stringify(value, (_key, field: unknown) => {
    if (field && typeof field === 'object' && (field as { type?: string }).type === 'Buffer')
      return '<bytes>';
    if (typeof field === 'string' && field.length > 200) return `${field.slice(0, 200)}…(${field.length})`;
    return field;
  }).slice(0, 600);
}

const isRejected = (outcome: Outcome) =>
  outcome.status === null || outcome.status >= 400 || outcome.code !== null;
const isServerError = (outcome: Outcome) =>
  outcome.status === 500 || outcome.code === 'INTERNAL_SERVER_ERROR';

describe('fuzzing', () => {
  const processes = new Processes();
  let server: TrustServer;
  let w: TrustWorkspaces;

  beforeAll(async () => {
    server = await startTrustServer(processes);
    w = await createTrustWorkspaces(server.core);
  });

  afterAll(async () => {
    recordTrust('fuzz', [
      {
        check: 'fuzz cases',
        tried: totals.cases,
        result: `${totals.trpc} tRPC, ${totals.v1} /v1, ${totals.raw} raw header and method; seed ${SEED}`,
      },
      { check: '500s', tried: totals.cases, result: `${totals.fiveHundreds} answered 500` },
      {
        check: 'crashes',
        tried: `${totals.healthChecks} health checks`,
        result: `${totals.crashes} crashes`,
      },
      {
        check: 'changes by rejected requests',
        tried: totals.rejected,
        result: `${totals.changed} wrote a change (${totals.rejectedUsage} of them usage rows)`,
      },
    ]);
    await w?.close();
    await server?.close();
    processes.killAll();
  });

  /** Judges one case: counts it, and returns what is wrong with it (empty when nothing is). */
  async function judge(
    describeCase: () => string,
    send: () => Promise<Outcome>,
    // Usage rows are written in the background, so they cannot be pinned on one case: /v1 cases
    // leave them to the section's end, which accounts for every row.
    { usageLater = false } = {},
  ): Promise<string[]> {
    if (usageLater) await settleStoredResponses();
    const before: DatabaseSnapshot = await databaseSnapshot(server.core);
    const outcome = await send();
    totals.cases += 1;
    const wrong: string[] = [];
    const what = () => describeCase();
    if (isServerError(outcome)) {
      totals.fiveHundreds += 1;
      wrong.push(`${what()}: 500 ${outcome.text}`);
    }
    if (isRejected(outcome)) {
      totals.rejected += 1;
      // A save the refused call began itself would land after the snapshot below without this.
      if (usageLater) await settleStoredResponses();
      const changes = snapshotChanges(before, await databaseSnapshot(server.core)).filter(
        (change) => !(usageLater && change.startsWith('usage_events ')),
      );
      if (changes.length > 0) {
        totals.changed += 1;
        wrong.push(
          `${what()}: rejected (${outcome.status} ${outcome.code}) but changed ${changes.join(', ')}`,
        );
      }
    }
    return wrong;
  }

  /**
   * Waits for the server's background saves of stored responses, so that each lands within the
   * case that began it: an earlier answered call's save would otherwise show as a later
   * refused call's change (the snapshot reads table after table). Any
   * lookup of a stored response first waits for the saves in flight (its 404 here is expected).
   */
  async function settleStoredResponses(): Promise<void> {
    const answer = await fetch(`${server.url}/v1/responses/resp_fuzz_barrier`, {
      headers: { authorization: `Bearer ${w.a.apiKey}` },
    });
    await answer.arrayBuffer();
    expect(answer.status).toBe(404);
  }

  /** The health check still answers and the process still runs: counted as a crash otherwise. */
  async function expectAlive(after: string): Promise<void> {
    totals.healthChecks += 1;
    const alive =
      server.process.child.exitCode === null &&
      (await fetch(`${server.url}/healthz`).then(
        (response) => response.ok,
        () => false,
      ));
    if (!alive) {
      totals.crashes += 1;
      problems.push(
        `the server stopped answering after ${after} (seed ${SEED})\n${server.process.logs().slice(-2_000)}`,
      );
    }
    expect(alive, `server alive after ${after} (seed ${SEED})`).toBe(true);
  }

  /** Runs a property over `numRuns` cases with the file's seed; a failing case is kept with the seed that replays it. */
  async function fuzz<T>(
    target: string,
    arbitrary: fc.Arbitrary<T>,
    numRuns: number,
    run: (value: T) => Promise<string[]>,
  ) {
    const details = await fc.check(
      fc.asyncProperty(arbitrary, async (value) => {
        const wrong = await run(value);
        if (wrong.length > 0) throw new Error(wrong.join('\n'));
      }),
      // The first failure ends the target: shrinking would multiply requests past the time bound.
      { seed: SEED, numRuns, endOnFailure: true },
    );
    if (details.failed) {
      problems.push(
        `${target}: seed ${details.seed}, path ${details.counterexamplePath}: ${String(details.errorInstance ?? '').slice(0, 1_500)}`,
      );
    }
    await expectAlive(target);
  }

  it('answers every tRPC procedure, whatever the input, without a 500 and without writing on refusal', async () => {
    const owner = { authorization: `Bearer ${w.ownerToken}` };
    for (const { path, type } of routerProcedures()) {
      const passwordCheck = path === 'auth.login' || path === 'auth.setup' || path === 'auth.createToken';
      const arbitrary: fc.Arbitrary<{ body: Buffer; contentType: string } | { query: string }> =
        type === 'mutation'
          ? fc.record({
              body: bodyFor(w.a.workspaceId),
              contentType: fc.constantFrom('application/json', 'text/plain', ''),
            })
          : fc.record({ query: queryFor(w.a.workspaceId) });
      await fuzz(`/trpc/${path}`, arbitrary, passwordCheck ? RUNS.password : RUNS.procedure, (value) =>
        judge(
          () => `/trpc/${path} ${describeValue(value)}`,
          async () => {
            totals.trpc += 1;
            return 'body' in value
              ? sendFetch(`${server.url}/trpc/${path}`, {
                  method: 'POST',
                  headers: { ...owner, ...(value.contentType ? { 'content-type': value.contentType } : {}) },
                  body: value.body,
                })
              : sendFetch(`${server.url}/trpc/${path}${value.query}`, {
                  headers: {
                    ...owner,
                    ...(type === 'subscription' ? { accept: 'text/event-stream' } : {}),
                  },
                });
          },
        ),
      );
    }
  });

  it('answers every /v1 endpoint, whatever the body or id, without a 500 and without writing on refusal', async () => {
    const v1Started = new Date().toISOString();
    const posts = [
      '/v1/chat/completions',
      '/v1/completions',
      '/v1/embeddings',
      '/v1/responses',
      '/v1/messages',
      '/v1/messages/count_tokens',
      '/v1/rerank',
      '/v1/audio/speech',
      '/v1/audio/transcriptions',
    ];
    const keys = fc.constantFrom(
      `Bearer ${w.a.apiKey}`,
      `Bearer ${w.a.apiKey}`,
      `Bearer ${w.a.apiKey}`,
      'Bearer sbk_fake',
      'Basic abc',
      '',
    );
    for (const path of posts) {
      const arbitrary = fc.record({
        body: bodyFor(w.a.workspaceId),
        authorization: keys,
        contentType: fc.constantFrom(
          'application/json',
          'application/json; charset=utf-8',
          'text/plain',
          'multipart/form-data; boundary=x',
          '',
        ),
      });
      await fuzz(`POST ${path}`, arbitrary, RUNS.v1, (value) =>
        judge(
          () => `POST ${path} ${describeValue(value)}`,
          async () => {
            totals.v1 += 1;
            const headers: Record<string, string> = {};
            if (value.authorization) headers.authorization = value.authorization;
            if (value.contentType) headers['content-type'] = value.contentType;
            const outcome = await sendFetch(`${server.url}${path}`, {
              method: 'POST',
              headers,
              body: value.body,
            });
            if (!isRejected(outcome)) totals.v1Accepted += 1;
            else if (outcome.status !== null)
              v1Refusals.set(outcome.status, (v1Refusals.get(outcome.status) ?? 0) + 1);
            return outcome;
          },
          { usageLater: true },
        ),
      );
    }
    // Ids in paths: odd Unicode, bad percent escapes, traversal, huge.
    const id = fc.oneof(
      oddString.map((text) => percentEncode(text.slice(0, 5_000))),
      fc.constantFrom(
        '%E0%A4%A',
        '%',
        '%ZZ',
        '%00',
        '%ED%A0%80',
        '..%2F..%2Fetc',
        'a/b/c',
        '%2e%2e',
        'x'.repeat(20_000),
      ),
    );
    const gets: [string, string][] = [
      ['GET', '/v1/models'],
      ['GET', '/v1/models/'],
      ['GET', '/v1/responses/'],
      ['DELETE', '/v1/responses/'],
    ];
    for (const [method, prefix] of gets) {
      const arbitrary = fc.record({
        id: prefix.endsWith('/') ? id : fc.constantFrom('', '?x=%E0%A4%A', '?limit=-1'),
        authorization: keys,
      });
      await fuzz(`${method} ${prefix}{id}`, arbitrary, RUNS.v1, (value) =>
        judge(
          () => `${method} ${prefix}${value.id.slice(0, 200)}`,
          async () => {
            totals.v1 += 1;
            const headers: Record<string, string> = value.authorization
              ? { authorization: value.authorization }
              : {};
            const answer = await rawRequest(
              server.url,
              `${method} ${prefix}${value.id} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers)
                .map(([name, text]) => `${name}: ${text}\r\n`)
                .join('')}Connection: close\r\n\r\n`,
            );
            return { status: answer.status, code: null, text: answer.text.slice(0, 300) };
          },
        ),
      );
    }
    // Usage is written in the background, in order: once a marker call's row is in, every earlier
    // call's is too. A call answered 2xx may have added a row; a call refused after it was routed
    // to a model records that refusal (the usage page counts failed calls), with its status and no
    // tokens. Any other row was written by a refusal that should have changed nothing.
    const marker = new Date().toISOString();
    const answered = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${w.a.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'marker' }] }),
    });
    expect(answered.status).toBe(200);
    const usage = () =>
      server.core.db
        .selectFrom('usage_events')
        .select(['status', 'outcome', 'tokens_in', 'tokens_out'])
        .where('created_at', '>=', v1Started);
    await expect
      .poll(async () => (await usage().where('created_at', '>=', marker).execute()).length, {
        timeout: 30_000,
      })
      .toBeGreaterThan(0);
    const rows = await usage().where('created_at', '<', marker).execute();
    const successes = rows.filter((row) => row.status < 400);
    const unaccounted = Math.max(0, successes.length - totals.v1Accepted);
    const refusals = new Map(v1Refusals);
    const strays = rows.filter((row) => {
      if (row.status < 400) return false;
      const left = refusals.get(row.status) ?? 0;
      refusals.set(row.status, left - 1);
      return left === 0 || row.outcome === 'ok' || row.tokens_in !== 0 || row.tokens_out !== 0;
    });
    totals.rejectedUsage = unaccounted + strays.length;
    if (totals.rejectedUsage > 0) {
      totals.changed += totals.rejectedUsage;
      problems.push(
        `/v1: ${successes.length} success rows for ${totals.v1Accepted} answered calls, and ${strays.length} ` +
          `rows no refusal accounts for: ${JSON.stringify(strays.slice(0, 3))} (seed ${SEED})`,
      );
    }
  });

  it('survives header and method abuse on /trpc, /v1 and /healthz', async () => {
    const paths = [
      '/trpc/auth.me',
      '/trpc/workspaces.rename',
      '/trpc/auth.login',
      '/v1/chat/completions',
      '/v1/models',
      '/healthz',
      '/',
    ];
    const header = (name: string, value: string) => `${name}: ${value}\r\n`;
    const abuse = fc.record({
      method: fc.constantFrom(
        'GET',
        'POST',
        'PUT',
        'DELETE',
        'PATCH',
        'OPTIONS',
        'HEAD',
        'TRACE',
        'CONNECT',
        'FOO',
        'G\u00e9T',
        'post',
      ),
      path: fc.constantFrom(...paths),
      headers: fc.array(
        fc.oneof(
          fc.constant(header('Content-Type', 'application/json') + header('Content-Type', 'text/plain')),
          fc.constant(
            header('Authorization', `Bearer ${w.ownerToken}`) +
              header('Authorization', `Bearer ${w.a.apiKey}`),
          ),
          fc.constant(header('Authorization', `Bearer ${w.ownerToken}`)),
          fc.constant(header('Authorization', `Bearer ${w.a.apiKey}`)),
          fc.constant(header('Content-Length', '5') + header('Content-Length', '7')),
          fc.constant(header('Transfer-Encoding', 'chunked') + header('Content-Length', '3')),
          fc.constant(header('Content-Length', '-1')),
          fc.constant(header('Content-Length', '99999999999999999999')),
          fc.constant(header('Content-Type', 'application/json; charset=utf-16')),
          fc.constant(header('Content-Type', '\u00ff\u00fe/json')),
          fc.constant(header('Cookie', `sb_session=${'a'.repeat(20_000)}`)),
          fc.constant(header('X-Big', 'b'.repeat(70_000))),
          fc.constant(Array.from({ length: 300 }, (_, index) => header(`X-H${index}`, 'v')).join('')),
          fc.constant(header('Origin', 'https://evil.example') + header('Cookie', 'sb_session=x')),
          fc.constant(
            header('X-Switchboard-Workspace', '\u00ff\u00fe') + header('X-Switchboard-Workspace', 'two'),
          ),
          fc.constant(header('Expect', '100-continue')),
          fc.constant('Bad Header Line\r\n'),
        ),
        { maxLength: 3 },
      ),
      body: fc.oneof(
        fc.constant(''),
        fc.constant('{}'),
        fc.constant('{"email":"a@b.c","password":"x"}'),
        fc.constant('{"a":'),
      ),
    });
    await fuzz('raw header and method abuse', abuse, RUNS.raw, (value) =>
      judge(
        () => `raw ${describeValue(value)}`,
        async () => {
          totals.raw += 1;
          const body = Buffer.from(value.body, 'latin1');
          const hasLength = value.headers.some((line) => /content-length|transfer-encoding/i.test(line));
          const head = `${value.method} ${value.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${value.headers.join('')}${
            hasLength ? '' : `Content-Length: ${body.length}\r\n`
          }Connection: close\r\n\r\n`;
          const answer = await rawRequest(server.url, Buffer.from(head, 'latin1'), body);
          return { status: answer.status, code: null, text: answer.text.slice(0, 300) };
        },
      ),
    );
  });

  it('found nothing', () => {
    expect(problems, `seed ${SEED} (TRUST_FUZZ_SEED=${SEED} replays it)`).toEqual([]);
  });
});
