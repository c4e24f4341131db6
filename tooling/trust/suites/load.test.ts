import { Pool } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Processes } from '../../../apps/server/test/processes.ts';
import { readStream } from '../src/fault-calls.ts';
import { type FaultUpstream, startFaultUpstream } from '../src/fault-upstream.ts';
import { chatBody, prepareWorld } from '../src/fault-world.ts';
import { percentile, rssMb, slope } from '../src/load-proc.ts';
import { recordTrust, type TrustRow } from '../src/summary.ts';

// Suite 7 (issue 13): load. Mixed gateway traffic (chat, streams, embeddings, slow readers, a
// bogus key now and then) through one shared undici connection pool for a bounded time
// (TRUST_LOAD_SECONDS; 120 s in CI, 20 s otherwise). Every request is answered exactly once
// with its own answer, reaches the upstream at most once, and the server's memory does not
// grow after warm-up. Latencies are recorded, never asserted.
const SECONDS = Number(process.env.TRUST_LOAD_SECONDS ?? (process.env.CI === 'true' ? 120 : 20));
const CONCURRENCY = 12;
// Generous: a leak of a few KB per request at these rates grows far faster than this.
const MAX_SLOPE_MB_PER_MIN = 60;

const processes = new Processes();
const rows: TrustRow[] = [];
let upstream: FaultUpstream;

beforeAll(async () => {
  upstream = await startFaultUpstream();
});
afterEach(() => processes.killAll());
afterAll(async () => {
  recordTrust('load', rows);
  await upstream?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Kind = 'chat' | 'stream' | 'slow-stream' | 'embeddings' | 'bad-key';

/** The kind of the `n`-th request: a fixed mix, so every run sends the same proportions. */
function kindOf(n: number): Kind {
  const slot = n % 20;
  if (slot < 9) return 'chat';
  if (slot < 13) return 'stream';
  if (slot < 15) return 'slow-stream';
  if (slot < 18) return 'embeddings';
  return 'bad-key';
}

describe('load', () => {
  it(`serves ${SECONDS} s of mixed traffic through one pool: none lost, none twice, no memory growth`, async () => {
    const world = await prepareWorld({ baseUrl: upstream.baseUrl, chatKeys: ['ok', 'slow'] });
    const server = await processes.server(processes.env(world.dataDir));
    const pid = server.child.pid as number;
    const pool = new Pool(server.url, { connections: 16, pipelining: 1 });
    const answers = new Map<string, number>();
    const unexpected: string[] = [];
    const latencies: number[] = [];
    const rss: { at: number; mb: number }[] = [];
    let sent = 0;
    let badKeyRefused = 0;
    const started = Date.now();
    const deadline = started + SECONDS * 1000;

    const one = async (n: number) => {
      const kind = kindOf(n);
      const tag = `load-${n}`;
      const path = kind === 'embeddings' ? '/v1/embeddings' : '/v1/chat/completions';
      const body =
        kind === 'embeddings'
          ? JSON.stringify({ model: 'openai-compatible/trust-embed', input: [tag] })
          : chatBody(tag, kind === 'stream' || kind === 'slow-stream');
      const key = kind === 'bad-key' ? 'sbk_bogusbogusbogusbogusbogusbogus' : world.apiKey;
      const begun = performance.now();
      const response = await pool.request({
        method: 'POST',
        path,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body,
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      });
      let text = '';
      for await (const chunk of response.body) {
        text += (chunk as Buffer).toString('utf8');
        // A slow reader: the gateway must hold its answer without holding anything else up.
        if (kind === 'slow-stream') await sleep(30);
      }
      latencies.push(performance.now() - begun);
      answers.set(tag, (answers.get(tag) ?? 0) + 1);
      if (kind === 'bad-key') {
        if (response.statusCode === 401) badKeyRefused++;
        else unexpected.push(`${tag} bad key got ${response.statusCode}`);
        return;
      }
      if (response.statusCode !== 200) {
        unexpected.push(`${tag} ${response.statusCode} ${text.slice(0, 200)}`);
        return;
      }
      const own =
        kind === 'embeddings'
          ? Array.isArray((JSON.parse(text) as { data?: unknown }).data)
          : kind === 'chat'
            ? (JSON.parse(text) as { choices: { message: { content: string } }[] }).choices[0]?.message
                .content === `echo ${tag}`
            : readStream(text).done && readStream(text).content === `echo ${tag}`;
      if (!own) unexpected.push(`${tag} answered with something else: ${text.slice(0, 200)}`);
    };

    const workers = Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < deadline) {
        const n = sent++;
        await one(n).catch((error: unknown) => unexpected.push(`load-${n} ${String(error)}`));
      }
    });
    const sampler = (async () => {
      while (Date.now() < deadline) {
        rss.push({ at: (Date.now() - started) / 60_000, mb: rssMb(pid) });
        await sleep(500);
      }
    })();
    await Promise.all([...workers, sampler]);
    await pool.close();

    // Every request answered exactly once; every one with a good key reached the upstream once.
    const missing = Array.from({ length: sent }, (_, n) => `load-${n}`).filter(
      (tag) => answers.get(tag) !== 1,
    );
    expect(missing).toEqual([]);
    const twiceUpstream = [...upstream.tags].filter(([tag, count]) => tag.startsWith('load-') && count !== 1);
    expect(twiceUpstream).toEqual([]);
    const reachedUpstream = [...upstream.tags.keys()].filter((tag) => tag.startsWith('load-')).length;
    expect(reachedUpstream).toBe(sent - badKeyRefused);
    expect(unexpected.slice(0, 5)).toEqual([]);

    // Memory after warm-up (the first third): the slope of RSS over time, generously bounded.
    const warm = rss.filter((sample) => sample.at * 60 >= SECONDS / 3);
    const growth = slope(
      warm.map((sample) => sample.at),
      warm.map((sample) => sample.mb),
    );
    expect(growth).toBeLessThan(MAX_SLOPE_MB_PER_MIN);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    rows.push(
      {
        check: `mixed gateway traffic, one pool of 16, ${CONCURRENCY} at once`,
        tried: `${sent} requests in ${SECONDS} s`,
        result: `0 lost, 0 twice, ${unexpected.length} errors (error rate ${((100 * unexpected.length) / sent).toFixed(2)}%), ${badKeyRefused} bogus keys refused`,
      },
      {
        check: 'latency (information)',
        tried: latencies.length,
        result: `p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms`,
      },
      {
        check: 'RSS after warm-up',
        tried: `${warm.length} samples`,
        result: `${warm[0]?.mb.toFixed(0)} -> ${warm.at(-1)?.mb.toFixed(0)} MB, slope ${growth.toFixed(1)} MB/min (bound ${MAX_SLOPE_MB_PER_MIN})`,
      },
    );
  });
});
