import cluster from 'node:cluster';
import { FileModeError, MasterKeyError } from '@switchboard/core';
import { EnvError, readEnv, type ServerEnv } from './env.ts';
import { loadConsole } from './http/console.ts';
import { createLogger, type Logger } from './log.ts';
import { openCore, startServer } from './server.ts';

// `pnpm start`: the Switchboard server. With SWITCHBOARD_WORKERS > 1 the primary prepares
// the database and master key once, then forks workers that share the port (node:cluster)
// and hear each other's changes through the change feed, like separate instances do.

function onSignals(stop: (signal: string) => void): void {
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

async function runOne(env: ServerEnv, logger: Logger): Promise<void> {
  const running = await startServer(env, logger, undefined, { console: await loadConsole(logger) });
  onSignals((signal) => {
    logger.info('signal received', { signal });
    running.stop().then(
      () => process.exit(0),
      (error) => {
        logger.error('shutdown failed', { error });
        process.exit(1);
      },
    );
  });
}

async function runPrimary(env: ServerEnv, logger: Logger): Promise<void> {
  // Migrations and the key file happen here, once, before any worker races for them.
  const core = await openCore(env, []);
  await core.close();
  // Workers accept from the shared socket themselves rather than the primary handing connections
  // over: libuv accepts one connection per event-loop iteration, and a handover waits for the
  // worker's next iteration too, so a worker busy relaying streams took new connections at a
  // trickle (docs/benchmarks.md). A busy worker now simply accepts less. NODE_CLUSTER_SCHED_POLICY
  // still chooses when set.
  if (!process.env.NODE_CLUSTER_SCHED_POLICY) cluster.schedulingPolicy = cluster.SCHED_NONE;
  let stopping = false;
  for (let i = 0; i < env.workers; i++) cluster.fork();
  cluster.on('exit', (worker, code) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    logger.error('worker exited; starting another', { worker: worker.process.pid, code });
    cluster.fork();
  });
  onSignals((signal) => {
    stopping = true;
    logger.info('signal received', { signal, workers: env.workers });
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  });
}

async function main(): Promise<void> {
  const env = readEnv();
  const logger = createLogger(env.logLevel);
  if (env.workers > 1 && cluster.isPrimary) await runPrimary(env, logger);
  else await runOne(env, logger);
}

main().catch((error: unknown) => {
  // Configuration and key problems are the operator's to fix: a clear line, no stack.
  if (error instanceof EnvError || error instanceof MasterKeyError || error instanceof FileModeError)
    console.error(`switchboard: ${error.message}`);
  else console.error('switchboard: failed to start:', error);
  process.exit(1);
});
