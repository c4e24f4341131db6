// `pnpm bench:gateway:profile [load|streams]`: where the gateway's CPU time goes. Starts the
// benchmark's upstream and a Switchboard under `--cpu-prof`, drives it (load: concurrency 50 for
// BENCH_SECONDS, default 10; streams: BENCH_STREAMS slow streams, default 1000), stops it, and
// prints the profile's self time by function and by file, and inclusive time by function.
// BENCH_API (chat, responses or messages; default chat) picks the API the load scenario calls;
// BENCH_TARGET=bare profiles the bare proxy instead of Switchboard. `storm` profiles the 429 storm
// stage's Switchboard (one quiet and one storm phase of BENCH_SECONDS each). The raw .cpuprofile is kept for
// Chrome DevTools; its path is printed last.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BenchApi, measureConcurrentStreams, measureLoad, measureTimeToFirstByte } from './measure.ts';
import { statFields, stopAllChildren } from './processes.ts';
import { note, STREAM_CHUNKS } from './shared.ts';
import { measureStorm } from './storm.ts';
import { startBareProxy, startSwitchboard, startUpstream, type Target } from './targets.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const scenario = process.argv[2] ?? 'load';
const api = (process.env.BENCH_API ?? 'chat') as BenchApi;
if (!['chat', 'responses', 'messages'].includes(api)) {
  process.stderr.write('BENCH_API must be chat, responses or messages\n');
  process.exit(2);
}
if (!['load', 'streams', 'cpu', 'ttfb', 'report', 'storm'].includes(scenario)) {
  process.stderr.write('usage: profile.ts [load|streams|storm|cpu|ttfb|report FILE]\n');
  process.exit(2);
}

function shortFile(url: string): string {
  if (!url) return '(native)';
  const path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('node_modules/');
  if (modules !== -1)
    return path.slice(modules + 'node_modules/'.length).replace(/^\.pnpm\/[^/]+\/node_modules\//, '');
  const packages = path.search(/\/(packages|apps)\//);
  return packages === -1 ? path : path.slice(packages + 1);
}

function table(title: string, totals: Map<string, number>, all: number, rows: number): void {
  process.stdout.write(`\n${title}\n`);
  const sorted = [...totals].sort((a, b) => b[1] - a[1]).slice(0, rows);
  for (const [name, micros] of sorted) {
    process.stdout.write(`${((100 * micros) / all).toFixed(1).padStart(6)}%  ${name}\n`);
  }
}

/** A frame's name in the tables: function, file and line. */
function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || '(anonymous)'} ${shortFile(url)}:${lineNumber + 1}`;
}

/**
 * Inclusive time by function: each sample counts once for every distinct function on its stack,
 * so a caller's share includes everything it called (recursion counted once).
 */
function inclusive(profile: Profile, byId: Map<number, ProfileNode>): Map<string, number> {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const totals = new Map<string, number>();
  profile.samples.forEach((id, index) => {
    const micros = profile.timeDeltas[index] ?? 0;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at);
      if (!node) break;
      const name = frameName(node);
      if (name.startsWith('(root)') || name.startsWith('(idle)') || seen.has(name)) continue;
      seen.add(name);
      totals.set(name, (totals.get(name) ?? 0) + micros);
    }
  });
  return totals;
}

function report(file: string): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, index) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  let all = 0;
  let idle = 0;
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const [id, micros] of self) {
    const node = byId.get(id);
    if (!node) continue;
    all += micros;
    if (node.callFrame.functionName === '(idle)') idle += micros;
    const fileName = shortFile(node.callFrame.url);
    const name = frameName(node);
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
    byFile.set(fileName, (byFile.get(fileName) ?? 0) + micros);
  }
  process.stdout.write(`profile ${(all / 1e6).toFixed(1)} s, idle ${((100 * idle) / all).toFixed(1)}%\n`);
  table('self time by function', byFunction, all, 45);
  table('self time by file', byFile, all, 25);
  table('inclusive time by function', inclusive(profile, byId), all, 60);
  process.stdout.write(`\n${file}\n`);
}

async function main(): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'switchboard-profile-'));
  const upstream = await startUpstream();
  const profiling = ['--cpu-prof', `--cpu-prof-dir=${directory}`];
  // BENCH_TARGET=bare profiles the bare proxy under the same load, for comparison.
  const switchboard =
    scenario === 'storm'
      ? upstream
      : process.env.BENCH_TARGET === 'bare'
        ? await startBareProxy(upstream, profiling)
        : await startSwitchboard(upstream, profiling);
  const seconds = Number(process.env.BENCH_SECONDS ?? '10');
  if (scenario === 'storm') {
    // The storm stage alone, its Switchboard profiled: one round, quiet then storm.
    const storm = await measureStorm(
      upstream,
      {
        credentials: Number(process.env.BENCH_STORM_CREDENTIALS ?? '500'),
        seconds,
        rounds: 1,
        warmupSeconds: 2,
        fraction: Number(process.env.BENCH_STORM_FRACTION ?? '0.3'),
        periodMs: Number(process.env.BENCH_STORM_PERIOD_MS ?? '1000'),
      },
      profiling,
    );
    note(
      `storm: quiet ${Math.round(storm.quiet.load.requestsPerSecond)} req/s ${Math.round(storm.quiet.cpuMicrosPerCall)} µs/call, storm ${Math.round(storm.storm.load.requestsPerSecond)} req/s ${Math.round(storm.storm.cpuMicrosPerCall)} µs/call, ${storm.upstreamRateLimited} upstream 429s`,
    );
  } else if (scenario === 'load') {
    await measureLoad(switchboard, 50, 2, api);
    const result = await measureLoad(switchboard, 50, seconds, api);
    note(`${api} c50: ${Math.round(result.requestsPerSecond)} req/s, ${result.failed} failed`);
  } else {
    const result = await measureConcurrentStreams(switchboard, upstream, {
      count: Number(process.env.BENCH_STREAMS ?? '1000'),
      timeoutMs: 120_000,
    });
    note(
      `streams: ${result.complete} complete, peak ${result.peakOpen} open, ${result.seconds.toFixed(1)} s`,
    );
  }
  await stopAllChildren();
  const profiles = readdirSync(directory).filter((name) => name.endsWith('.cpuprofile'));
  if (profiles.length === 0) throw new Error(`no profile was written to ${directory}`);
  // The main thread's profile; the others are tsx's loader thread.
  const [main] = profiles.sort();
  report(join(directory, main as string));
}

/** CPU time (user, system) a process has used so far, in microseconds. */
function cpuMicros(pid: number): { user: number; system: number } {
  const fields = statFields(pid);
  const tick = 1e6 / 100; // USER_HZ is 100 on Linux
  return { user: Number(fields[11]) * tick, system: Number(fields[12]) * tick };
}

/**
 * Runs `work` and reports the CPU each process (this client, the upstream, the proxy unless it is
 * the upstream itself) spent on it, per unit of work (`units` of the result), and how many cores
 * that kept busy.
 */
async function cpuPer<T>(
  target: Target,
  upstream: Target,
  work: () => Promise<T>,
  units: (result: T) => number,
  digits: number,
): Promise<{ result: T; parts: string }> {
  const pids: [string, number][] = [
    ['client', process.pid],
    ['upstream', upstream.process.pid],
  ];
  if (target !== upstream) pids.push(['proxy', target.process.pid]);
  const before = pids.map(([, pid]) => cpuMicros(pid));
  const started = performance.now();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  const count = units(result);
  const parts = pids.map(([name, pid], index) => {
    const after = cpuMicros(pid);
    const start = before[index] as { user: number; system: number };
    const user = after.user - start.user;
    const system = after.system - start.system;
    const per = (value: number) => (value / count).toFixed(digits).padStart(4 + digits);
    const cores = ((user + system) / 1e6 / seconds).toFixed(2);
    return `${name} ${per(user)}+${per(system)} µs (${cores} cores)`;
  });
  return { result, parts: parts.join('  ') };
}

/** CPU per request of each process (client, upstream, proxy) for direct, bare proxy and Switchboard. */
async function cpuPerRequest(): Promise<void> {
  const upstream = await startUpstream();
  const switchboard = await startSwitchboard(upstream);
  const targets = [upstream, await startBareProxy(upstream), switchboard];
  const seconds = Number(process.env.BENCH_SECONDS ?? '5');
  for (const round of [1, 2]) {
    for (const target of targets) {
      await measureLoad(target, 50, 1, api);
      const { result, parts } = await cpuPer(
        target,
        upstream,
        () => measureLoad(target, 50, seconds, api),
        (load) => load.succeeded,
        0,
      );
      note(
        `round ${round} ${target.name.padEnd(12)} ${String(Math.round(result.requestsPerSecond)).padStart(6)} req/s  per request (user+sys): ${parts}`,
      );
    }
  }
  // The 1,000 slow streams: CPU per relayed chunk (200 chunks a stream).
  const streams = Number(process.env.BENCH_STREAMS ?? '1000');
  // BENCH_STREAMS=0 measures the calls alone.
  for (const target of streams > 0 ? [upstream, switchboard] : []) {
    const { result, parts } = await cpuPer(
      target,
      upstream,
      () => measureConcurrentStreams(target, upstream, { count: streams, timeoutMs: 120_000 }),
      (run) => run.complete * STREAM_CHUNKS,
      1,
    );
    note(
      `streams ${target.name.padEnd(12)} ${result.complete} complete in ${result.seconds.toFixed(1)} s, peak ${result.peakOpen} open; per chunk (user+sys): ${parts}`,
    );
  }
  await stopAllChildren();
}

/** Time to first byte of streams, direct and through Switchboard, as the benchmark measures it. */
async function firstByte(): Promise<void> {
  const upstream = await startUpstream();
  const switchboard = await startSwitchboard(upstream);
  // As in the benchmark, the load stage has warmed the shared code first.
  await measureLoad(switchboard, 50, 4);
  for (const round of [1, 2, 3]) {
    const result = await measureTimeToFirstByte([upstream, switchboard], { requests: 30, warmup: 5 });
    const direct = result.medianMs.direct ?? Number.NaN;
    const through = result.medianMs.switchboard ?? Number.NaN;
    note(
      `round ${round}: direct ${direct.toFixed(3)} ms, switchboard ${through.toFixed(3)} ms, added ${(through - direct).toFixed(3)} ms`,
    );
  }
  await stopAllChildren();
}

const run =
  scenario === 'ttfb'
    ? firstByte
    : scenario === 'report'
      ? async () => report(process.argv[3] ?? '')
      : scenario === 'cpu'
        ? cpuPerRequest
        : main;
run().catch(async (error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  await stopAllChildren();
  process.exit(1);
});
