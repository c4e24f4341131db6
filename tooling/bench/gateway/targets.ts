// Starting what the benchmark measures: the local upstream, the Portkey gateway and a configured
// Switchboard server, each in its own process on 127.0.0.1.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { type ChildHandle, freePort, runCommand, startChild, waitUntil } from './processes.ts';
import { StageUnavailableError, temporaryDirectories } from './shared.ts';

const gatewayDirectory = dirname(fileURLToPath(import.meta.url));
const benchDirectory = join(gatewayDirectory, '..');
/** The repository root, where the server and its CLI are started from. */
export const repositoryRoot = join(benchDirectory, '..', '..');

/** The fake upstream key: Switchboard reads it from the environment, Portkey gets it in the request. */
const upstreamKey = 'sk-bench-upstream-0001';

/** The owner the benchmark's Switchboard is set up with. */
export const BENCH_OWNER_EMAIL = 'bench@example.com';
/** The workspace the benchmark's Switchboard is set up with. */
export const BENCH_WORKSPACE = 'Bench';

/** One way to reach the upstream's chat completions, with what each request must carry. */
export interface Target {
  /** "direct", "bare-proxy", "portkey", "switchboard" or "switchboard-storm". */
  name: string;
  /** Full URL of the chat completions endpoint. */
  url: string;
  /** Headers every request sends (authorization, gateway routing). */
  headers: Record<string, string>;
  /** The model name as this target expects it. */
  model: string;
  /** The same model, routed to the upstream's slow stream. */
  slowModel: string;
  /** The process serving it, for memory readings. */
  process: ChildHandle;
}

function nodeWithTsx(): string[] {
  return ['--import', 'tsx'];
}

async function startScript(
  name: string,
  script: string,
  args: string[],
  nodeArgs: string[] = [],
): Promise<{ child: ChildHandle; port: number }> {
  const child = startChild(
    name,
    process.execPath,
    [...nodeArgs, ...nodeWithTsx(), join(gatewayDirectory, script), ...args],
    {
      cwd: benchDirectory,
      env: { ...process.env },
    },
  );
  const port = await waitUntil(
    `the ${name} to listen`,
    async () => {
      const match = /\{"port":(\d+)\}/.exec(child.recentOutput());
      return match ? Number(match[1]) : undefined;
    },
    { timeoutMs: 15_000, child },
  );
  return { child, port };
}

/** Starts the upstream in its own process and returns it as the "direct" target. */
export async function startUpstream(): Promise<Target> {
  const { child, port } = await startScript('upstream', 'upstream-server.ts', []);
  const target: Target = {
    name: 'direct',
    url: `http://127.0.0.1:${port}/v1/chat/completions`,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${upstreamKey}` },
    model: 'bench-model',
    slowModel: 'bench-model-slow',
    process: child,
  };
  assertLoopbackOnly('upstream', port);
  await probeCompletion(target);
  return target;
}

/** Starts the no-logic reference proxy in front of the upstream (`nodeArgs`: e.g. `--cpu-prof`). */
export async function startBareProxy(upstream: Target, nodeArgs: string[] = []): Promise<Target> {
  const { child, port } = await startScript(
    'bare proxy',
    'bare-proxy-server.ts',
    [new URL(upstream.url).origin],
    nodeArgs,
  );
  const target: Target = {
    ...upstream,
    name: 'bare-proxy',
    url: `http://127.0.0.1:${port}/v1/chat/completions`,
    process: child,
  };
  assertLoopbackOnly('bare proxy', port);
  await probeCompletion(target);
  return target;
}

/**
 * Fails unless every listening socket on the port is bound to 127.0.0.1 (read from /proc/net),
 * so a process that ignored its host setting is caught instead of exposed.
 */
function assertLoopbackOnly(name: string, port: number): void {
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  const listenState = '0A';
  const loopback = '0100007F';
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [address, socketPort] = (fields[1] ?? '').split(':');
      if (socketPort !== portHex || fields[3] !== listenState) continue;
      if (address !== loopback) {
        throw new StageUnavailableError(
          `${name} listens on ${address}:${port}, not only on 127.0.0.1; not measured`,
        );
      }
    }
  }
}

async function postCompletion(target: Target): Promise<{ status: number; body: string }> {
  const response = await request(target.url, {
    method: 'POST',
    headers: target.headers,
    body: JSON.stringify({ model: target.model, messages: [{ role: 'user', content: 'hello' }] }),
  });
  return { status: response.statusCode, body: await response.body.text() };
}

/** Fails the stage unless one chat completion through the target comes back whole. */
export async function probeCompletion(target: Target): Promise<void> {
  const answer = await postCompletion(target);
  if (answer.status !== 200 || !answer.body.includes('"chat.completion"')) {
    throw new StageUnavailableError(
      `${target.name}: POST ${new URL(target.url).pathname} did not return a completion: HTTP ${answer.status} ${answer.body.slice(0, 300)}`,
    );
  }
}

function portkeyEntry(): string {
  const require = createRequire(join(benchDirectory, 'package.json'));
  let packageJson: string;
  try {
    packageJson = require.resolve('@portkey-ai/gateway/package.json');
  } catch {
    throw new StageUnavailableError(
      '@portkey-ai/gateway is not installed in tooling/bench (run pnpm install)',
    );
  }
  const entry = join(dirname(packageJson), 'build', 'start-server.js');
  if (!existsSync(entry)) throw new StageUnavailableError(`Portkey's entry point is missing: ${entry}`);
  return entry;
}

/** Starts the Portkey gateway pinned to 127.0.0.1, routing to the upstream as a custom OpenAI host. */
export async function startPortkey(upstream: Target): Promise<Target> {
  const entry = portkeyEntry();
  const port = await freePort();
  const child = startChild(
    'portkey',
    process.execPath,
    ['--import', join(gatewayDirectory, 'portkey-loopback.mjs'), entry, `--port=${port}`, '--headless'],
    // Production mode skips its console UI and log stream, which the benchmark does not use.
    { cwd: benchDirectory, env: { ...process.env, NODE_ENV: 'production' } },
  );
  const base = `http://127.0.0.1:${port}`;
  await waitUntil(
    'Portkey to answer',
    async () => {
      const response = await request(`${base}/`);
      await response.body.dump();
      return response.statusCode < 500 ? true : undefined;
    },
    { timeoutMs: 20_000, child },
  );
  const target: Target = {
    name: 'portkey',
    url: `${base}/v1/chat/completions`,
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${upstreamKey}`,
      'x-portkey-provider': 'openai',
      'x-portkey-custom-host': upstream.url.replace(/\/chat\/completions$/, ''),
    },
    model: upstream.model,
    slowModel: upstream.slowModel,
    process: child,
  };
  assertLoopbackOnly('Portkey', port);
  await probeCompletion(target);
  return target;
}

async function cli(args: string[], env: NodeJS.ProcessEnv, stage: string): Promise<string> {
  const result = await runCommand(
    process.execPath,
    [...nodeWithTsx(), 'apps/server/src/cli/main.ts', ...args],
    {
      cwd: repositoryRoot,
      env,
      timeoutMs: 60_000,
    },
  );
  if (result.code !== 0) {
    const output = (result.stderr.trim() || result.stdout.trim()).split('\n');
    // The line naming the error, rather than the first line of a stack trace.
    const reason = output.find((line) => /error|switchboard:/i.test(line)) ?? output.at(-1) ?? '';
    throw new StageUnavailableError(
      `Switchboard ${stage} failed (\`switchboard ${args[0]}\` exited ${result.code}): ${reason.trim()}\n${output.join('\n')}`,
    );
  }
  return result.stdout;
}

function configurationYaml(upstream: Target): string {
  const baseUrl = upstream.url.replace(/\/chat\/completions$/, '');
  return `workspace: Bench
providers:
  openai-compatible:
    credentials:
      - name: local
        values: { base_url: "${baseUrl}", api_key: { env: BENCH_UPSTREAM_KEY } }
        active: true
    models:
      # Priced: the bench key has a budget, and a budgeted key refuses unpriced models (decision 0032).
      - { name: bench-model, type: llm, credential: local, pricing: { inputPerMillion: 0.15, outputPerMillion: 0.6 } }
      - { name: bench-model-slow, type: llm, credential: local, pricing: { inputPerMillion: 0.15, outputPerMillion: 0.6 } }
  openai:
    credentials:
      - name: openai-local
        values: { base_url: "${baseUrl}", api_key: { env: BENCH_UPSTREAM_KEY } }
        active: true
  anthropic:
    credentials:
      - name: anthropic-local
        values: { base_url: "${baseUrl.replace(/\/v1$/, '')}", api_key: { env: BENCH_UPSTREAM_KEY } }
        active: true
defaults:
  llm: openai-compatible/bench-model
`;
}

/**
 * Whether the benchmark's API key has requests, tokens and budget limits (`BENCH_KEY_LIMITS`,
 * default on; `0` measures an unlimited key): the target holds with key limits checked,
 * which costs each call an admission against the key's counter row.
 */
export const keyLimits = process.env.BENCH_KEY_LIMITS !== '0';

/**
 * The largest limits a key may have, above what the benchmark sends (one machine's calls stay
 * well under a million a minute): every call is checked and counted, none refused.
 */
const BENCH_KEY_LIMITS_YAML = `apiKeys:
  - name: bench
    requestsPerMinute: 1000000
    tokensPerMinute: 1000000000
    monthlyBudget: 1000000
`;

/** What a Switchboard other than the standard one is configured with. */
export interface SwitchboardSetup {
  /** The target's name in reports (default "switchboard"). */
  name: string;
  /** The configuration file to apply, for the upstream's base URL (`…/v1`). */
  configuration: (baseUrl: string) => string;
  /** The chat model requests name (`provider/model`). */
  model: string;
  /** Variables the configuration file's `{ env: NAME }` references read (secrets are never written in it). */
  environment?: Record<string, string>;
  /** Work on the data dir after the file is applied and before the server starts (same environment). */
  prepare?: (env: NodeJS.ProcessEnv) => Promise<void>;
}

/**
 * Configures a fresh Switchboard (SQLite in a temporary data dir) through its CLI, starts it,
 * and checks that its /v1 gateway answers a chat completion.
 */
export async function startSwitchboard(
  upstream: Target,
  nodeArgs: string[] = [],
  setup?: SwitchboardSetup,
): Promise<Target> {
  const dataDirectory = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
  temporaryDirectories.add(dataDirectory);
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(port),
    SWITCHBOARD_DATA_DIR: dataDirectory,
    LOG_LEVEL: 'warn',
    BENCH_UPSTREAM_KEY: upstreamKey,
    ...setup?.environment,
  };
  // The benchmark always measures the single-file setup, whatever the shell has configured.
  delete env.DATABASE_URL;
  delete env.SWITCHBOARD_MASTER_KEY;
  delete env.SWITCHBOARD_MASTER_KEY_PREVIOUS;

  await cli(
    [
      'setup',
      '--email',
      BENCH_OWNER_EMAIL,
      '--password',
      'bench-password-0001',
      '--workspace',
      BENCH_WORKSPACE,
    ],
    env,
    'setup',
  );
  // The key first: the configuration file can then set its limits (a file never creates a key).
  const keyOutput = await cli(
    ['api-key', 'create', '--workspace', BENCH_WORKSPACE, '--name', 'bench'],
    env,
    'API key creation',
  );
  const apiKey = /sbk_\S+/.exec(keyOutput)?.[0];
  if (!apiKey) throw new StageUnavailableError('`switchboard api-key create` printed no sbk_… key');
  const configurationFile = join(dataDirectory, 'bench.yaml');
  const baseUrl = upstream.url.replace(/\/chat\/completions$/, '');
  const configuration = setup ? setup.configuration(baseUrl) : configurationYaml(upstream);
  writeFileSync(configurationFile, `${configuration}${keyLimits ? BENCH_KEY_LIMITS_YAML : ''}`);
  await cli(['apply', configurationFile], env, 'configuration (apply)');
  await setup?.prepare?.(env);

  const child = startChild(
    setup?.name ?? 'switchboard',
    process.execPath,
    [...nodeArgs, ...nodeWithTsx(), 'apps/server/src/main.ts'],
    {
      cwd: repositoryRoot,
      env,
    },
  );
  const base = `http://127.0.0.1:${port}`;
  await waitUntil(
    'Switchboard /healthz',
    async () => {
      const response = await request(`${base}/healthz`);
      await response.body.dump();
      return response.statusCode === 200 ? true : undefined;
    },
    { timeoutMs: 90_000, child },
  );
  const target: Target = {
    name: setup?.name ?? 'switchboard',
    url: `${base}/v1/chat/completions`,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    model: setup?.model ?? 'openai-compatible/bench-model',
    slowModel: setup ? setup.model : 'openai-compatible/bench-model-slow',
    process: child,
  };
  const answer = await postCompletion(target);
  if (answer.status === 404 && !answer.body.includes('chat.completion')) {
    throw new StageUnavailableError(
      `Switchboard has no /v1 gateway yet: POST /v1/chat/completions answered 404 (${answer.body.slice(0, 200)})`,
    );
  }
  assertLoopbackOnly('Switchboard', port);
  await probeCompletion(target);
  return target;
}
