// The 429 storm: one chat model load balanced over many credentials, measured at concurrency 50
// while the upstream answers normally (quiet) and while it rate limits a rotating share of the
// keys (storm), so keys keep resting and coming back. Cooldown churn must not cost throughput:
// a key's rest updates the workspace's resolve snapshot in place instead of reloading it and
// decrypting every key again.
import {
  type Actor,
  findUserByEmail,
  findWorkspace,
  getLoadBalancing,
  setLoadBalancing,
} from '@switchboard/core';
import { openCore, readEnv } from '@switchboard/server';
import { request } from 'undici';
import { type LoadResult, measureLoad, measureLoadWithCpu, median } from './measure.ts';
import { note, StageUnavailableError } from './shared.ts';
import { BENCH_OWNER_EMAIL, BENCH_WORKSPACE, startSwitchboard, type Target } from './targets.ts';

/** How the storm stage runs (`BENCH_STORM_*`, see run.ts). */
export interface StormSettings {
  /** Credentials of the balanced model. */
  credentials: number;
  /** Seconds per measured phase. */
  seconds: number;
  /** Quiet/storm pairs measured; medians are reported. */
  rounds: number;
  /** Seconds of warm-up load before the first round. */
  warmupSeconds: number;
  /** Share of the keys rate limited at any moment during the storm (0 to 1). */
  fraction: number;
  /** How often the rate-limited share changes, in ms. */
  periodMs: number;
}

/** One phase's medians over the rounds (failures summed) and its CPU per successful call. */
export interface StormPhase {
  load: LoadResult;
  /** µs of CPU the storm Switchboard's processes spent per successful call (median over rounds). */
  cpuMicrosPerCall: number;
}

/** What the storm stage measured. */
export interface StormResult {
  credentials: number;
  quiet: StormPhase;
  storm: StormPhase;
  /** 429s the upstream answered during the storm phases (the gateway failed over from each). */
  upstreamRateLimited: number;
  /** Calls the upstream answered normally during the storm phases. */
  upstreamServed: number;
}

const provider = 'openai-compatible';
const stormModel = { name: 'storm-model', type: 'llm' } as const;

/** An obviously fake key per credential; the upstream recognises the storm keys by this shape. */
function stormKey(index: number): string {
  return `sk-test-fake-storm-${String(index).padStart(4, '0')}`;
}

/** The variable the configuration file reads credential `index`'s key from. */
function stormKeyVariable(index: number): string {
  return `BENCH_STORM_KEY_${String(index).padStart(4, '0')}`;
}

function stormEnvironment(credentials: number): Record<string, string> {
  return Object.fromEntries(
    Array.from({ length: credentials }, (_, index) => [stormKeyVariable(index + 1), stormKey(index + 1)]),
  );
}

function stormConfiguration(credentials: number): (baseUrl: string) => string {
  return (baseUrl) => {
    const entries = Array.from(
      { length: credentials },
      (_, index) =>
        `          - { name: storm-${String(index + 1).padStart(4, '0')}, values: { base_url: "${baseUrl}", api_key: { env: ${stormKeyVariable(index + 1)} } } }`,
    );
    return `workspace: ${BENCH_WORKSPACE}
providers:
  ${provider}:
    models:
      - name: ${stormModel.name}
        type: ${stormModel.type}
        # Priced: the bench key has a budget, and a budgeted key refuses unpriced models (decision 0032).
        pricing: { inputPerMillion: 0.15, outputPerMillion: 0.6 }
        credentials:
${entries.join('\n')}
`;
  };
}

/**
 * Turns load balancing on over every credential of the storm model, through core (the typed
 * API caps a list at 100 credentials; core itself does not), before the server starts.
 */
async function balanceEveryCredential(env: NodeJS.ProcessEnv): Promise<void> {
  const core = await openCore(readEnv(env));
  try {
    const workspace = await findWorkspace(core, BENCH_WORKSPACE);
    const owner = await findUserByEmail(core, BENCH_OWNER_EMAIL);
    if (!workspace || !owner) throw new StageUnavailableError('the storm workspace or its owner is missing');
    const actor: Actor = { kind: 'user', userId: owner.id };
    const target = { workspaceId: workspace.id, provider, model: stormModel };
    const current = await getLoadBalancing(core, actor, target);
    await setLoadBalancing(core, actor, {
      ...target,
      enabled: true,
      credentials: current.credentials.map(({ credentialId }) => ({ credentialId, weight: 1 })),
    });
  } finally {
    await core.close();
  }
}

async function setStorm(upstream: Target, fraction: number, periodMs: number): Promise<void> {
  const response = await request(`${new URL(upstream.url).origin}/bench/storm`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ fraction, periodMs }),
  });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`the upstream refused the storm settings: ${text}`);
}

async function stormCounts(upstream: Target): Promise<{ rateLimited: number; served: number }> {
  const response = await request(`${new URL(upstream.url).origin}/bench/storm`);
  return (await response.body.json()) as { rateLimited: number; served: number };
}

function phase(samples: { load: LoadResult; cpuMicrosPerCall: number }[]): StormPhase {
  return {
    load: {
      connections: samples[0]?.load.connections ?? 0,
      requestsPerSecond: median(samples.map((sample) => sample.load.requestsPerSecond)),
      meanLatencyMs: median(samples.map((sample) => sample.load.meanLatencyMs)),
      succeeded: samples.reduce((sum, sample) => sum + sample.load.succeeded, 0),
      failed: samples.reduce((sum, sample) => sum + sample.load.failed, 0),
    },
    cpuMicrosPerCall: median(samples.map((sample) => sample.cpuMicrosPerCall)),
  };
}

/**
 * Starts a Switchboard whose one chat model balances over `settings.credentials` keys, measures
 * c50 quiet then during the storm in each round, and stops it (the storm is off again either way).
 * `nodeArgs` go to its node process (the profiler's `--cpu-prof`).
 */
export async function measureStorm(
  upstream: Target,
  settings: StormSettings,
  nodeArgs: string[] = [],
): Promise<StormResult> {
  const switchboard = await startSwitchboard(upstream, nodeArgs, {
    name: 'switchboard-storm',
    configuration: stormConfiguration(settings.credentials),
    environment: stormEnvironment(settings.credentials),
    model: `${provider}/${stormModel.name}`,
    prepare: balanceEveryCredential,
  });
  try {
    await measureLoad(switchboard, 50, settings.warmupSeconds);
    const quiet: { load: LoadResult; cpuMicrosPerCall: number }[] = [];
    const storm: { load: LoadResult; cpuMicrosPerCall: number }[] = [];
    let upstreamRateLimited = 0;
    let upstreamServed = 0;
    for (let round = 0; round < settings.rounds; round += 1) {
      const calm = await measureLoadWithCpu(switchboard, 50, settings.seconds);
      quiet.push(calm);
      await stormCounts(upstream);
      await setStorm(upstream, settings.fraction, settings.periodMs);
      let stormy: { load: LoadResult; cpuMicrosPerCall: number };
      try {
        stormy = await measureLoadWithCpu(switchboard, 50, settings.seconds);
      } finally {
        await setStorm(upstream, 0, settings.periodMs);
      }
      storm.push(stormy);
      const counts = await stormCounts(upstream);
      upstreamRateLimited += counts.rateLimited;
      upstreamServed += counts.served;
      note(
        `  storm round ${round + 1}: storm/quiet ${(stormy.load.requestsPerSecond / calm.load.requestsPerSecond).toFixed(3)}, CPU/call quiet ${calm.cpuMicrosPerCall.toFixed(0)} µs, storm ${stormy.cpuMicrosPerCall.toFixed(0)} µs, ${counts.rateLimited} upstream 429s${stormy.load.failed + calm.load.failed > 0 ? `, ${stormy.load.failed + calm.load.failed} failed` : ''}`,
      );
    }
    return {
      credentials: settings.credentials,
      quiet: phase(quiet),
      storm: phase(storm),
      upstreamRateLimited,
      upstreamServed,
    };
  } finally {
    await switchboard.process.stop();
  }
}
