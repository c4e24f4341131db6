// The three measurements: request load with autocannon, time to first byte of a stream, and a
// thousand concurrent slow streams with the gateway's memory sampled while they run.
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { Pool, request } from 'undici';
import { mainThreadCpuMicros, treeCpuMicros, treePssKb, treeRssKb } from './processes.ts';
import { STREAM_CHUNKS } from './shared.ts';
import type { Target } from './targets.ts';

function chatBody(model: string, stream: boolean): string {
  return JSON.stringify({
    model,
    messages: [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: 'Say hello in one short sentence.' },
    ],
    max_tokens: 32,
    ...(stream ? { stream: true } : {}),
  });
}

/** What one load run measured. */
export interface LoadResult {
  connections: number;
  /** Successful (2xx) responses per second over the run. */
  requestsPerSecond: number;
  /** Mean latency of successful responses, in ms (from each response's own timing, not autocannon's integer histogram). */
  meanLatencyMs: number;
  /** Successful responses. */
  succeeded: number;
  /** Non-2xx responses, connection errors and timeouts together. */
  failed: number;
}

/** The API a load measures: chat completions, the Responses API, or Anthropic's Messages API. */
export type BenchApi = 'chat' | 'responses' | 'messages';

/** The model each API is measured with through Switchboard (passed through for responses and messages). */
export const SWITCHBOARD_MODELS: Record<Exclude<BenchApi, 'chat'>, string> = {
  responses: 'openai/gpt-4.1-mini',
  messages: 'anthropic/claude-haiku-4-5-20251001',
};

/** The URL and body of one request of `api` to the target. */
function requestOf(target: Target, api: BenchApi): { url: string; body: string } {
  if (api === 'chat') return { url: target.url, body: chatBody(target.model, false) };
  const url = target.url.replace(/\/chat\/completions$/, api === 'responses' ? '/responses' : '/messages');
  const model = target.name === 'switchboard' ? SWITCHBOARD_MODELS[api] : target.model;
  // store: false, as the comparison is of the proxy's own work (a stored response adds a database write).
  const body =
    api === 'responses'
      ? {
          model,
          instructions: 'You are a helpful assistant.',
          input: 'Say hello in one short sentence.',
          max_output_tokens: 32,
          store: false,
        }
      : {
          model,
          system: 'You are a helpful assistant.',
          messages: [{ role: 'user', content: 'Say hello in one short sentence.' }],
          max_tokens: 32,
        };
  return { url, body: JSON.stringify(body) };
}

/** Keeps `connections` requests in flight against the target for `seconds`, counting what came back. */
export function measureLoad(
  target: Target,
  connections: number,
  seconds: number,
  api: BenchApi = 'chat',
): Promise<LoadResult> {
  let succeeded = 0;
  let latencySum = 0;
  const { url, body } = requestOf(target, api);
  const instance = autocannon({
    url,
    method: 'POST',
    headers: target.headers,
    body,
    connections,
    duration: seconds,
    timeout: 10,
  });
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode >= 200 && statusCode < 300) {
      succeeded += 1;
      latencySum += responseTime;
    }
  });
  const started = performance.now();
  return new Promise((resolve, reject) => {
    instance.then((result) => {
      const elapsedSeconds = (performance.now() - started) / 1000;
      resolve({
        connections,
        requestsPerSecond: succeeded / elapsedSeconds,
        meanLatencyMs: succeeded > 0 ? latencySum / succeeded : Number.NaN,
        succeeded,
        failed: result.non2xx + result.errors + result.timeouts,
      });
    }, reject);
  });
}

/**
 * One load, with the CPU the target's processes spent per successful call, and the part of it
 * its main thread spent (µs; NaN when none succeeded).
 */
export async function measureLoadWithCpu(
  target: Target,
  connections: number,
  seconds: number,
  api: BenchApi = 'chat',
): Promise<{ load: LoadResult; cpuMicrosPerCall: number; mainThreadMicrosPerCall: number }> {
  const pid = target.process.pid;
  const before = treeCpuMicros(pid);
  const mainBefore = mainThreadCpuMicros(pid);
  const load = await measureLoad(target, connections, seconds, api);
  const spent = treeCpuMicros(pid) - before;
  const mainSpent = mainThreadCpuMicros(pid) - mainBefore;
  const per = (micros: number) => (load.succeeded > 0 ? micros / load.succeeded : Number.NaN);
  return { load, cpuMicrosPerCall: per(spent), mainThreadMicrosPerCall: per(mainSpent) };
}

/** Time to first byte of streamed completions, for two targets measured alternately. */
export interface TimeToFirstByte {
  /** Median ms from sending the request to the first body byte, per target name. */
  medianMs: Record<string, number>;
  /** Streams that did not end with [DONE] after all their chunks. */
  incomplete: number;
}

/** The middle value (mean of the two middle ones for an even count); NaN for none. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Counts a stream's SSE data events as they arrive, across chunk boundaries. */
class StreamTally {
  chunks = 0;
  done = false;
  private pending = '';

  add(text: string): void {
    this.pending += text;
    let end = this.pending.indexOf('\n\n');
    while (end !== -1) {
      const event = this.pending.slice(0, end);
      this.pending = this.pending.slice(end + 2);
      if (event.startsWith('data: ')) {
        if (event === 'data: [DONE]') this.done = true;
        else this.chunks += 1;
      }
      end = this.pending.indexOf('\n\n');
    }
  }

  /** Every chunk arrived and the stream ended with [DONE]. */
  get complete(): boolean {
    return this.done && this.chunks === STREAM_CHUNKS;
  }
}

async function timeOneStream(
  pool: Pool,
  target: Target,
): Promise<{ firstByteMs: number; complete: boolean }> {
  const url = new URL(target.url);
  const started = performance.now();
  const response = await pool.request({
    path: url.pathname,
    method: 'POST',
    headers: target.headers,
    body: chatBody(target.model, true),
  });
  let firstByteMs = Number.NaN;
  const tally = new StreamTally();
  for await (const part of response.body) {
    if (Number.isNaN(firstByteMs)) firstByteMs = performance.now() - started;
    tally.add((part as Buffer).toString('utf8'));
  }
  return { firstByteMs, complete: response.statusCode === 200 && tally.complete };
}

/**
 * Streams from each target one at a time, alternating between them so drift on the machine
 * touches both alike; the first few of each are a warm-up.
 */
export async function measureTimeToFirstByte(
  targets: Target[],
  options: { requests: number; warmup: number },
): Promise<TimeToFirstByte> {
  const pools = targets.map((target) => new Pool(new URL(target.url).origin, { connections: 1 }));
  const samples = targets.map(() => [] as number[]);
  let incomplete = 0;
  try {
    for (let round = 0; round < options.warmup + options.requests; round += 1) {
      for (const [index, target] of targets.entries()) {
        const result = await timeOneStream(pools[index] as Pool, target);
        if (!result.complete) incomplete += 1;
        if (round >= options.warmup) samples[index]?.push(result.firstByteMs);
      }
    }
  } finally {
    await Promise.all(pools.map((pool) => pool.close()));
  }
  return {
    medianMs: Object.fromEntries(targets.map((target, index) => [target.name, median(samples[index] ?? [])])),
    incomplete,
  };
}

/** What the concurrent slow streams showed. */
export interface ConcurrentStreams {
  streams: number;
  /** Streams with every chunk and a final [DONE]. */
  complete: number;
  /** Most streams open at the client (headers received, not yet ended) at one time. */
  peakOpen: number;
  /** Most of them the upstream was serving at one time (below `streams` when a proxy queues them). */
  upstreamPeakOpen: number;
  /** Peak resident memory of the serving process tree while the streams ran, in MB (sampled VmRSS). */
  peakRssMb: number;
  /** Peak proportional memory (sampled Pss) of the same tree, in MB: shared pages counted once. */
  peakPssMb: number;
  /** Its resident memory just before they started, in MB. */
  baselineRssMb: number;
  seconds: number;
  /** The first failure, if any, for the report. */
  firstError: string | undefined;
}

async function upstreamStats(upstream: Target): Promise<{ peakSlowStreams: number }> {
  const response = await request(`${new URL(upstream.url).origin}/bench/stats`);
  return (await response.body.json()) as { peakSlowStreams: number };
}

/** Opens `count` slow streams at once through the target and follows each to its end. */
export async function measureConcurrentStreams(
  target: Target,
  upstream: Target,
  options: { count: number; timeoutMs: number },
): Promise<ConcurrentStreams> {
  await upstreamStats(upstream);
  const url = new URL(target.url);
  const pool = new Pool(url.origin, {
    connections: options.count,
    bodyTimeout: options.timeoutMs,
    headersTimeout: options.timeoutMs,
  });
  const signal = AbortSignal.timeout(options.timeoutMs);
  // Every stream listens on the one deadline signal; that is by design, not a leak.
  setMaxListeners(0, signal);
  const pid = target.process.pid;
  const baselineRssMb = treeRssKb(pid) / 1024;
  let peakRssKb = 0;
  let peakPssKb = 0;
  const sampler = setInterval(() => {
    peakRssKb = Math.max(peakRssKb, treeRssKb(pid));
    peakPssKb = Math.max(peakPssKb, treePssKb(pid));
  }, 100);
  let open = 0;
  let peakOpen = 0;
  let firstError: string | undefined;
  const body = chatBody(target.slowModel, true);
  const started = performance.now();

  const one = async (): Promise<boolean> => {
    try {
      const response = await pool.request({
        path: url.pathname,
        method: 'POST',
        headers: target.headers,
        body,
        signal,
      });
      open += 1;
      peakOpen = Math.max(peakOpen, open);
      const tally = new StreamTally();
      try {
        for await (const part of response.body) tally.add((part as Buffer).toString('utf8'));
      } finally {
        open -= 1;
      }
      if (response.statusCode !== 200) firstError ??= `HTTP ${response.statusCode}`;
      else if (!tally.complete)
        firstError ??= `stream ended after ${tally.chunks} of ${STREAM_CHUNKS} chunks${tally.done ? '' : ' without [DONE]'}`;
      return response.statusCode === 200 && tally.complete;
    } catch (error) {
      firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return false;
    }
  };

  try {
    const results = await Promise.all(Array.from({ length: options.count }, one));
    peakRssKb = Math.max(peakRssKb, treeRssKb(pid));
    const { peakSlowStreams } = await upstreamStats(upstream);
    return {
      streams: options.count,
      complete: results.filter(Boolean).length,
      peakOpen,
      upstreamPeakOpen: peakSlowStreams,
      peakRssMb: peakRssKb / 1024,
      peakPssMb: peakPssKb / 1024,
      baselineRssMb,
      seconds: (performance.now() - started) / 1000,
      firstError,
    };
  } finally {
    clearInterval(sampler);
    await pool.destroy();
  }
}
