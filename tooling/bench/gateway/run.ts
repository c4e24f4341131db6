// `pnpm bench:gateway`: one run measuring the upstream directly, through Switchboard and through
// Portkey, printing one JSON line of ratios on stdout and a readable table on stderr.
// Everything runs on 127.0.0.1, bounded in time, and every child process is stopped at the end.
import { rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import {
  type ConcurrentStreams,
  type LoadResult,
  measureConcurrentStreams,
  measureLoad,
  measureLoadWithCpu,
  measureTimeToFirstByte,
} from './measure.ts';
import { processTree, stopAllChildren, treePeakRssKb } from './processes.ts';
import { note, StageUnavailableError, temporaryDirectories } from './shared.ts';
import { measureStorm, type StormResult } from './storm.ts';
import {
  keyLimits,
  startBareProxy,
  startPortkey,
  startSwitchboard,
  startUpstream,
  type Target,
} from './targets.ts';

function setting(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number (got "${raw}")`);
  return value;
}

const settings = {
  warmupSeconds: setting('BENCH_WARMUP_SECONDS', 2),
  seconds: setting('BENCH_SECONDS', 2),
  rounds: setting('BENCH_ROUNDS', 5),
  timeToFirstByteRequests: setting('BENCH_TTFB_REQUESTS', 30),
  streams: setting('BENCH_STREAMS', 1000),
  streamTimeoutMs: 120_000,
  // The 429 storm stage (storm.ts); BENCH_STORM=0 skips it.
  storm: process.env.BENCH_STORM !== '0',
  stormCredentials: setting('BENCH_STORM_CREDENTIALS', 500),
  stormSeconds: setting('BENCH_STORM_SECONDS', 3),
  stormFraction: setting('BENCH_STORM_FRACTION', 0.3),
  stormPeriodMs: setting('BENCH_STORM_PERIOD_MS', 1000),
};
if (settings.stormFraction > 1) throw new Error('BENCH_STORM_FRACTION must be at most 1');
if (!Number.isInteger(settings.stormCredentials) || settings.stormCredentials < 2)
  throw new Error('BENCH_STORM_CREDENTIALS must be a whole number of 2 or more');

/** The targets the issue sets, checked against the measured numbers. */
const goals = {
  c1AddedMs: 0.3,
  c50RatioVsDirect: 0.3,
  c50RatioVsPortkey: 8,
  timeToFirstByteAddedMs: 1,
  streamsRssMb: 300,
};

const unavailable: Record<string, string> = {};

async function stage<T>(name: string, work: () => Promise<T>): Promise<T | undefined> {
  note(`· ${name}`);
  try {
    return await work();
  } catch (error) {
    // A missing feature or a failing command is a finding for the report, not a crash.
    const message = error instanceof Error ? error.message : String(error);
    unavailable[name] = message.split('\n')[0] ?? message;
    note(
      `✗ ${name} unavailable: ${message}${error instanceof StageUnavailableError ? '' : `\n${(error as Error).stack ?? ''}`}`,
    );
    return undefined;
  }
}

function round(value: number | undefined, digits: number): number | null {
  if (value === undefined || !Number.isFinite(value)) return null;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** A target's load numbers: medians over the rounds (failures summed), and CPU per call at c50. */
type Loads = { c1: LoadResult; c50: LoadResult; cpuMicrosPerCall: number; mainThreadMicrosPerCall: number };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function combine(results: LoadResult[]): LoadResult {
  return {
    connections: results[0]?.connections ?? 0,
    requestsPerSecond: median(results.map((result) => result.requestsPerSecond)),
    meanLatencyMs: median(results.map((result) => result.meanLatencyMs)),
    succeeded: results.reduce((sum, result) => sum + result.succeeded, 0),
    failed: results.reduce((sum, result) => sum + result.failed, 0),
  };
}

/**
 * Measures every target in rounds, rotating the order each round, so that whatever else the
 * machine is doing lands on all targets alike instead of on whichever ran during a busy minute.
 */
async function measureRounds(targets: Target[]): Promise<Record<string, Loads>> {
  for (const target of targets) {
    await measureLoad(target, 1, settings.warmupSeconds);
    await measureLoad(target, 50, settings.warmupSeconds);
  }
  const samples = new Map(
    targets.map((target) => [
      target.name,
      { c1: [] as LoadResult[], c50: [] as LoadResult[], cpu: [] as number[], main: [] as number[] },
    ]),
  );
  for (let round = 0; round < settings.rounds; round += 1) {
    const order = targets.map((_, index) => targets[(index + round) % targets.length] as Target);
    for (const target of order) {
      const c1 = await measureLoad(target, 1, settings.seconds);
      const measured = await measureLoadWithCpu(target, 50, settings.seconds, 'chat');
      const c50 = measured.load;
      samples.get(target.name)?.c1.push(c1);
      samples.get(target.name)?.c50.push(c50);
      samples.get(target.name)?.cpu.push(measured.cpuMicrosPerCall);
      samples.get(target.name)?.main.push(measured.mainThreadMicrosPerCall);
      const failed = c1.failed + c50.failed;
      note(
        `  round ${round + 1} ${target.name}: c1 ${c1.requestsPerSecond.toFixed(0)} req/s (${c1.meanLatencyMs.toFixed(3)} ms), c50 ${c50.requestsPerSecond.toFixed(0)} req/s${failed > 0 ? `, ${failed} failed` : ''}`,
      );
    }
  }
  return Object.fromEntries(
    [...samples].map(([name, lists]) => [
      name,
      {
        c1: combine(lists.c1),
        c50: combine(lists.c50),
        cpuMicrosPerCall: median(lists.cpu),
        mainThreadMicrosPerCall: median(lists.main),
      },
    ]),
  );
}

/** c50 throughput and CPU per call of one API, per target: medians over rounds in rotating order. */
type ApiLoads = Record<
  string,
  { c50: LoadResult; cpuMicrosPerCall: number; mainThreadMicrosPerCall: number }
>;

/**
 * The Responses and Messages APIs beside chat: the bare proxy relays them to the upstream as it
 * relays chat; Switchboard passes them through to its OpenAI and Anthropic providers.
 */
async function measureApis(targets: Target[]): Promise<Record<'responses' | 'messages', ApiLoads>> {
  const result = { responses: {} as ApiLoads, messages: {} as ApiLoads };
  for (const api of ['responses', 'messages'] as const) {
    for (const target of targets) await measureLoad(target, 50, settings.warmupSeconds, api);
    const samples = new Map(
      targets.map((target) => [
        target.name,
        { c50: [] as LoadResult[], cpu: [] as number[], main: [] as number[] },
      ]),
    );
    for (let round = 0; round < settings.rounds; round += 1) {
      const order = targets.map((_, index) => targets[(index + round) % targets.length] as Target);
      for (const target of order) {
        const { load, cpuMicrosPerCall, mainThreadMicrosPerCall } = await measureLoadWithCpu(
          target,
          50,
          settings.seconds,
          api,
        );
        samples.get(target.name)?.c50.push(load);
        samples.get(target.name)?.cpu.push(cpuMicrosPerCall);
        samples.get(target.name)?.main.push(mainThreadMicrosPerCall);
        note(
          `  ${api} round ${round + 1} ${target.name}: c50 ${load.requestsPerSecond.toFixed(0)} req/s, ${cpuMicrosPerCall.toFixed(0)} µs CPU/call (main thread ${mainThreadMicrosPerCall.toFixed(0)})${load.failed > 0 ? `, ${load.failed} failed` : ''}`,
        );
      }
    }
    for (const [name, lists] of samples)
      result[api][name] = {
        c50: combine(lists.c50),
        cpuMicrosPerCall: median(lists.cpu),
        mainThreadMicrosPerCall: median(lists.main),
      };
  }
  return result;
}

function table(loads: Record<string, Loads | undefined>): string {
  const rows = [['target', 'c1 req/s', 'c1 mean ms', 'c50 req/s', 'c50 mean ms', 'failed']];
  for (const [name, load] of Object.entries(loads)) {
    if (!load) rows.push([name, '-', '-', '-', '-', 'unavailable']);
    else
      rows.push([
        name,
        load.c1.requestsPerSecond.toFixed(0),
        load.c1.meanLatencyMs.toFixed(3),
        load.c50.requestsPerSecond.toFixed(0),
        load.c50.meanLatencyMs.toFixed(3),
        String(load.c1.failed + load.c50.failed),
      ]);
  }
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows
    .map((row) => row.map((cell, column) => cell.padStart(widths[column] ?? 0)).join('  '))
    .join('\n');
}

function apiRatio(loads: ApiLoads | undefined): number | undefined {
  const switchboard = loads?.switchboard;
  const bare = loads?.['bare-proxy'];
  return switchboard && bare ? switchboard.c50.requestsPerSecond / bare.c50.requestsPerSecond : undefined;
}

function apiCpu(
  loads: Record<string, Pick<Loads, 'cpuMicrosPerCall' | 'mainThreadMicrosPerCall'> | undefined> | undefined,
  field: 'cpuMicrosPerCall' | 'mainThreadMicrosPerCall',
) {
  return {
    switchboard: round(loads?.switchboard?.[field], 0),
    bare_proxy: round(loads?.['bare-proxy']?.[field], 0),
  };
}

async function main(): Promise<number> {
  const loadBefore = loadavg()[0] ?? 0;
  const cores = cpus().length;
  if (loadBefore > cores / 2) {
    note(
      `! load average ${loadBefore.toFixed(1)} on ${cores} cores: other work is running, expect noisy numbers`,
    );
  }
  const loads: Record<string, Loads | undefined> = {
    direct: undefined,
    'bare-proxy': undefined,
    portkey: undefined,
    switchboard: undefined,
  };
  let timeToFirstByte: Awaited<ReturnType<typeof measureTimeToFirstByte>> | undefined;
  let directStreams: ConcurrentStreams | undefined;
  let switchboardStreams: ConcurrentStreams | undefined;
  let switchboardLifetimePeakRssMb: number | undefined;
  let switchboardProcesses: number | undefined;
  let apiLoads: Awaited<ReturnType<typeof measureApis>> | undefined;
  let storm: StormResult | undefined;

  const upstream = await stage('upstream', startUpstream);
  if (upstream) {
    const bareProxy = await stage('bare proxy start', () => startBareProxy(upstream));
    const portkey = await stage('portkey start', () => startPortkey(upstream));
    const switchboard = await stage('switchboard start', () => startSwitchboard(upstream));
    const targets = [upstream, bareProxy, portkey, switchboard].filter((target) => target !== undefined);
    Object.assign(loads, await stage('load', () => measureRounds(targets)));
    if (bareProxy && switchboard)
      apiLoads = await stage('responses and messages', () => measureApis([bareProxy, switchboard]));
    if (switchboard) {
      // The bare proxy too: any proxy's first byte pays a second loopback hop, which is not
      // Switchboard's own cost.
      const streamed = [upstream, bareProxy, switchboard].filter((target) => target !== undefined);
      timeToFirstByte = await stage('time to first byte', () =>
        measureTimeToFirstByte(streamed, {
          requests: settings.timeToFirstByteRequests,
          warmup: 5,
        }),
      );
    }
    // Idle reference proxies are stopped so the stream tests below have the machine to themselves.
    await bareProxy?.process.stop();
    await portkey?.process.stop();
    // The same streams straight to the upstream first: if they fail there, the harness is at fault.
    directStreams = await stage('concurrent streams (direct)', () =>
      measureConcurrentStreams(upstream, upstream, {
        count: settings.streams,
        timeoutMs: settings.streamTimeoutMs,
      }),
    );
    if (switchboard) {
      switchboardStreams = await stage('concurrent streams (switchboard)', () =>
        measureConcurrentStreams(switchboard, upstream, {
          count: settings.streams,
          timeoutMs: settings.streamTimeoutMs,
        }),
      );
      // VmHWM: the most it ever held, load tests included, next to the sampled peak of the stream test.
      switchboardLifetimePeakRssMb = treePeakRssKb(switchboard.process.pid) / 1024;
      switchboardProcesses = processTree(switchboard.process.pid).length;
      // The storm stage starts its own Switchboard; this one has nothing left to do.
      await switchboard.process.stop();
    }
    if (settings.storm) {
      storm = await stage('429 storm', () =>
        measureStorm(upstream, {
          credentials: settings.stormCredentials,
          seconds: settings.stormSeconds,
          rounds: settings.rounds,
          warmupSeconds: settings.warmupSeconds,
          fraction: settings.stormFraction,
          periodMs: settings.stormPeriodMs,
        }),
      );
    }
  }

  const direct = loads.direct;
  const portkey = loads.portkey;
  const bareProxy = loads['bare-proxy'];
  const switchboard = loads.switchboard;
  const c1AddedMs =
    direct && switchboard ? switchboard.c1.meanLatencyMs - direct.c1.meanLatencyMs : undefined;
  const ratioVsDirect =
    direct && switchboard ? switchboard.c50.requestsPerSecond / direct.c50.requestsPerSecond : undefined;
  const ratioVsPortkey =
    portkey && switchboard ? switchboard.c50.requestsPerSecond / portkey.c50.requestsPerSecond : undefined;
  const ttfbAddedMs = timeToFirstByte
    ? (timeToFirstByte.medianMs.switchboard ?? Number.NaN) - (timeToFirstByte.medianMs.direct ?? Number.NaN)
    : undefined;
  const streamsComplete = switchboardStreams
    ? switchboardStreams.complete === switchboardStreams.streams
    : undefined;
  // Held concurrently means the upstream saw (nearly) as many at once through Switchboard as when
  // the client opened them directly; a connection cap in the gateway shows up here.
  const streamsConcurrent =
    switchboardStreams && directStreams
      ? switchboardStreams.upstreamPeakOpen >= 0.9 * directStreams.upstreamPeakOpen
      : undefined;
  const failedRequests = Object.values(loads).reduce(
    (sum, load) => sum + (load ? load.c1.failed + load.c50.failed : 0),
    0,
  );

  const result = {
    bench: 'gateway',
    c1_added_ms: round(c1AddedMs, 3),
    c50_ratio_vs_direct: round(ratioVsDirect, 3),
    c50_ratio_vs_portkey: round(ratioVsPortkey, 2),
    ttfb_added_ms: round(ttfbAddedMs, 3),
    streams_1000_rss_mb: round(switchboardStreams?.peakRssMb, 1),
    streams_1000_complete: streamsComplete ?? null,
    targets_met: {
      c1_added_ms: c1AddedMs === undefined ? null : c1AddedMs < goals.c1AddedMs,
      c50_ratio_vs_direct: ratioVsDirect === undefined ? null : ratioVsDirect >= goals.c50RatioVsDirect,
      c50_ratio_vs_portkey: ratioVsPortkey === undefined ? null : ratioVsPortkey >= goals.c50RatioVsPortkey,
      ttfb_added_ms: ttfbAddedMs === undefined ? null : ttfbAddedMs <= goals.timeToFirstByteAddedMs,
      // The issue's target: memory and completeness.
      streams_1000: switchboardStreams
        ? streamsComplete === true && switchboardStreams.peakRssMb < goals.streamsRssMb
        : null,
      // Stricter, ours: were they all open at once, as when the client talks to the upstream directly?
      streams_1000_held_at_once: streamsConcurrent ?? null,
    },
    direct_c1_rps: round(direct?.c1.requestsPerSecond, 0),
    direct_c50_rps: round(direct?.c50.requestsPerSecond, 0),
    switchboard_c1_rps: round(switchboard?.c1.requestsPerSecond, 0),
    switchboard_c50_rps: round(switchboard?.c50.requestsPerSecond, 0),
    // The same ratios for the bare proxy (no logic at all), for scale on this machine.
    bare_proxy_c1_added_ms: round(
      bareProxy && direct ? bareProxy.c1.meanLatencyMs - direct.c1.meanLatencyMs : undefined,
      3,
    ),
    bare_proxy_c50_ratio_vs_direct: round(
      bareProxy && direct ? bareProxy.c50.requestsPerSecond / direct.c50.requestsPerSecond : undefined,
      3,
    ),
    // Whether Switchboard's API key had requests, tokens and budget limits (BENCH_KEY_LIMITS).
    key_limits_checked: keyLimits,
    // Switchboard against the bare proxy in the same run, per API, and CPU per call (µs, all processes of each).
    c50_ratio_vs_bare_proxy: {
      chat: round(
        bareProxy && switchboard
          ? switchboard.c50.requestsPerSecond / bareProxy.c50.requestsPerSecond
          : undefined,
        3,
      ),
      responses: round(apiRatio(apiLoads?.responses), 3),
      messages: round(apiRatio(apiLoads?.messages), 3),
    },
    cpu_us_per_call_c50: {
      chat: apiCpu(loads, 'cpuMicrosPerCall'),
      responses: apiCpu(apiLoads?.responses, 'cpuMicrosPerCall'),
      messages: apiCpu(apiLoads?.messages, 'cpuMicrosPerCall'),
    },
    // The part of it on the main thread (the event loop), which bounds throughput where cores are spare.
    main_thread_us_per_call_c50: {
      chat: apiCpu(loads, 'mainThreadMicrosPerCall'),
      responses: apiCpu(apiLoads?.responses, 'mainThreadMicrosPerCall'),
      messages: apiCpu(apiLoads?.messages, 'mainThreadMicrosPerCall'),
    },
    // One model over BENCH_STORM_CREDENTIALS keys at c50: throughput while the upstream rate limits
    // a rotating share of them, against the same server quiet, and CPU per call in both phases.
    storm_429: storm
      ? {
          credentials: storm.credentials,
          rate_limited_share: settings.stormFraction,
          c50_ratio_storm_vs_quiet: round(
            storm.storm.load.requestsPerSecond / storm.quiet.load.requestsPerSecond,
            3,
          ),
          cpu_us_per_call_c50: {
            quiet: round(storm.quiet.cpuMicrosPerCall, 0),
            storm: round(storm.storm.cpuMicrosPerCall, 0),
          },
          upstream_429s: storm.upstreamRateLimited,
          upstream_served_during_storm: storm.upstreamServed,
          failed_calls: { quiet: storm.quiet.load.failed, storm: storm.storm.load.failed },
        }
      : null,
    bare_proxy_c1_rps: round(bareProxy?.c1.requestsPerSecond, 0),
    bare_proxy_c50_rps: round(bareProxy?.c50.requestsPerSecond, 0),
    portkey_c1_rps: round(portkey?.c1.requestsPerSecond, 0),
    portkey_c50_rps: round(portkey?.c50.requestsPerSecond, 0),
    direct_c1_mean_ms: round(direct?.c1.meanLatencyMs, 3),
    switchboard_c1_mean_ms: round(switchboard?.c1.meanLatencyMs, 3),
    bare_proxy_c1_mean_ms: round(bareProxy?.c1.meanLatencyMs, 3),
    portkey_c1_mean_ms: round(portkey?.c1.meanLatencyMs, 3),
    direct_ttfb_ms: round(timeToFirstByte?.medianMs.direct, 3),
    switchboard_ttfb_ms: round(timeToFirstByte?.medianMs.switchboard, 3),
    bare_proxy_ttfb_ms: round(timeToFirstByte?.medianMs['bare-proxy'], 3),
    ttfb_incomplete_streams: timeToFirstByte?.incomplete ?? null,
    streams_1000_completed: switchboardStreams?.complete ?? null,
    streams_1000_peak_open: switchboardStreams?.peakOpen ?? null,
    streams_1000_upstream_peak_open: switchboardStreams?.upstreamPeakOpen ?? null,
    streams_1000_direct_upstream_peak_open: directStreams?.upstreamPeakOpen ?? null,
    streams_1000_concurrent: streamsConcurrent ?? null,
    streams_1000_seconds: round(switchboardStreams?.seconds, 1),
    streams_1000_pss_mb: round(switchboardStreams?.peakPssMb, 1),
    switchboard_processes: switchboardProcesses ?? null,
    switchboard_lifetime_peak_rss_mb: round(switchboardLifetimePeakRssMb, 1),
    streams_1000_baseline_rss_mb: round(switchboardStreams?.baselineRssMb, 1),
    streams_1000_direct_completed: directStreams?.complete ?? null,
    failed_requests: failedRequests,
    cores,
    load_average_before: round(loadBefore, 2),
    load_average_after: round(loadavg()[0], 2),
    unavailable,
  };

  note('');
  note(table(loads));
  if (timeToFirstByte) {
    note(
      `time to first byte (median of ${settings.timeToFirstByteRequests}): direct ${result.direct_ttfb_ms} ms, bare proxy ${result.bare_proxy_ttfb_ms} ms, switchboard ${result.switchboard_ttfb_ms} ms`,
    );
  }
  for (const [name, streams] of [
    ['direct', directStreams],
    ['switchboard', switchboardStreams],
  ] as const) {
    if (!streams) continue;
    note(
      `${streams.streams} slow streams ${name}: ${streams.complete} complete, peak ${streams.peakOpen} open at the client and ${streams.upstreamPeakOpen} at the upstream, ${streams.seconds.toFixed(1)} s, server RSS ${streams.baselineRssMb.toFixed(0)} -> peak ${streams.peakRssMb.toFixed(0)} MB (PSS ${streams.peakPssMb.toFixed(0)} MB)${streams.firstError ? ` (first failure: ${streams.firstError})` : ''}`,
    );
  }
  if (storm) {
    note(
      `429 storm over ${storm.credentials} keys (${settings.stormFraction * 100}% limited at a time): storm/quiet ${result.storm_429?.c50_ratio_storm_vs_quiet} at c50, CPU per call ${result.storm_429?.cpu_us_per_call_c50.quiet} -> ${result.storm_429?.cpu_us_per_call_c50.storm} µs, ${storm.upstreamRateLimited} upstream 429s, ${storm.quiet.load.failed + storm.storm.load.failed} failed calls`,
    );
  }
  for (const [name, message] of Object.entries(unavailable)) note(`unavailable: ${name}: ${message}`);

  process.stdout.write(`${JSON.stringify(result)}\n`);
  return Object.keys(unavailable).length === 0 ? 0 : 1;
}

async function cleanUp(): Promise<void> {
  await stopAllChildren();
  for (const directory of temporaryDirectories) rmSync(directory, { recursive: true, force: true });
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    note(`\n${signal}: stopping child processes`);
    cleanUp().finally(() => process.exit(130));
  });
}

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  note(`bench:gateway failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
} finally {
  await cleanUp();
}
process.exit(exitCode);
