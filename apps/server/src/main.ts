import { MasterKeyError } from '@switchboard/core';
import { EnvError, readEnv } from './env.ts';
import { createLogger } from './log.ts';
import { startServer } from './server.ts';

// `pnpm start`: the one Switchboard process.
async function main(): Promise<void> {
  const env = readEnv();
  const logger = createLogger(env.logLevel);
  const running = await startServer(env, logger);
  const shutdown = (signal: string) => {
    logger.info('signal received', { signal });
    running.stop().then(
      () => process.exit(0),
      (error) => {
        logger.error('shutdown failed', { error });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  // Configuration and key problems are the operator's to fix: a clear line, no stack.
  if (error instanceof EnvError || error instanceof MasterKeyError)
    console.error(`switchboard: ${error.message}`);
  else console.error('switchboard: failed to start:', error);
  process.exit(1);
});
