import cluster from 'node:cluster';
import { type Core, FileModeError, MasterKeyError } from '@switchboard/core';
import { EnvError, readEnv, type ServerEnv } from './env.ts';
import { loadConsole } from './http/console.ts';
import { createLogger, type Logger } from './log.ts';
import { openCore, startServer } from './server.ts';

// `pnpm start`: the Switchboard server. With SWITCHBOARD_WORKERS > 1 the primary prepares
// the database and master key once, then forks workers that share the port (node:cluster)
// and hear each other's changes through the change feed, like separate instances do.

/**
 * SIGTERM and SIGINT, heard from the first moment of start-up: a signal that arrives before the
 * server runs must not kill the process mid-migration (the default action), so it is held until
 * the step under way (opening the database, running migrations) ends and the start-up stops there.
 */
class Shutdown {
  #signal: string | undefined;
  #stop: ((signal: string) => void) | undefined;

  constructor(logger: Logger) {
    const heard = (signal: string) => {
      logger.info('signal received', { signal, starting: this.#stop === undefined });
      this.#signal ??= signal;
      this.#stop?.(signal);
    };
    process.once('SIGTERM', () => heard('SIGTERM'));
    process.once('SIGINT', () => heard('SIGINT'));
  }

  /**
   * Whether a signal arrived: start-up stops at the next step. Signals come through the event
   * loop's poll phase, and start-up's database work (synchronous SQLite, promise chains) may not
   * have returned to it since: the second of two immediates runs after a whole turn of the loop,
   * poll included, so a signal already sent has been heard by then.
   */
  async requested(): Promise<boolean> {
    for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
    return this.#signal !== undefined;
  }

  /** What to do on a signal from now on; runs at once when one already arrived. */
  onStop(stop: (signal: string) => void): void {
    this.#stop = stop;
    if (this.#signal) stop(this.#signal);
  }
}

/** Start-up was stopped by a signal before the server ran: close what was opened and exit cleanly. */
async function stopStarting(core: Core, logger: Logger): Promise<never> {
  await core.close();
  logger.info('stopped before start-up finished');
  process.exit(0);
}

async function runOne(env: ServerEnv, logger: Logger, shutdown: Shutdown): Promise<void> {
  const core = await openCore(env);
  if (await shutdown.requested()) await stopStarting(core, logger);
  const running = await startServer(env, logger, core, { console: await loadConsole(logger) });
  shutdown.onStop(() => {
    running.stop().then(
      () => process.exit(0),
      (error) => {
        logger.error('shutdown failed', { error });
        process.exit(1);
      },
    );
  });
}

async function runPrimary(env: ServerEnv, logger: Logger, shutdown: Shutdown): Promise<void> {
  // Migrations and the key file happen here, once, before any worker races for them.
  const core = await openCore(env, []);
  if (await shutdown.requested()) await stopStarting(core, logger);
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
  shutdown.onStop(() => {
    stopping = true;
    logger.info('stopping workers', { workers: env.workers });
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  });
}

async function main(): Promise<void> {
  const env = readEnv();
  const logger = createLogger(env.logLevel);
  const shutdown = new Shutdown(logger);
  if (env.workers > 1 && cluster.isPrimary) await runPrimary(env, logger, shutdown);
  else await runOne(env, logger, shutdown);
}

main().catch((error: unknown) => {
  // Configuration and key problems are the operator's to fix: a clear line, no stack.
  if (error instanceof EnvError || error instanceof MasterKeyError || error instanceof FileModeError)
    console.error(`switchboard: ${error.message}`);
  else console.error('switchboard: failed to start:', error);
  process.exit(1);
});
