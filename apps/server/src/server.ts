import { mkdirSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  type Core,
  createCore,
  type DatabaseConfig,
  LoginThrottle,
  startChangeFeed,
} from '@switchboard/core';
import type { ProviderAdapter } from '@switchboard/provider-spec';
import { createAllAdapters } from '@switchboard/providers';
import type { ServerEnv } from './env.ts';
import { createGateway, type Gateway } from './gateway/gateway.ts';
import { createApp, type Mount } from './http/app.ts';
import { createConsoleGateway } from './http/console-gateway.ts';
import type { Logger } from './log.ts';

/** A running server. */
export interface RunningServer {
  /** `http://HOST:PORT` as actually bound. */
  url: string;
  core: Core;
  /** The gateway's runtime (usage recorder, cooldowns), for tests and benchmarks. */
  gateway: Gateway;
  /** Stops accepting, lets in-flight requests finish (up to the shutdown timeout), closes the database. */
  stop(): Promise<void>;
}

/** The database the environment asks for: PostgreSQL with DATABASE_URL, else SQLite in the data dir. */
export function databaseConfig(env: Pick<ServerEnv, 'databaseUrl' | 'dataDir'>): DatabaseConfig {
  return env.databaseUrl
    ? { engine: 'postgres', connectionString: env.databaseUrl }
    : { engine: 'sqlite', filename: join(env.dataDir, 'switchboard.db') };
}

/** Opens core with every adapter wired in: the composition root shared by the server and the CLI. */
export async function openCore(
  env: ServerEnv,
  providers: ProviderAdapter[] = createAllAdapters({
    allowMetadataAddresses: env.allowMetadataAddresses === true,
  }),
): Promise<Core> {
  // Private from the start: SQLite refuses a data folder other users can enter.
  mkdirSync(env.dataDir, { recursive: true, mode: 0o700 });
  return createCore({
    database: databaseConfig(env),
    dataDir: env.dataDir,
    masterKey: { env: env.masterKey, previous: env.masterKeyPrevious },
    providers,
    // Per-process state, made here where a reader of the composition root sees it.
    loginThrottle: new LoginThrottle(),
  });
}

/** Parts mounted beside the API and the gateway. */
export interface ServerMounts {
  /** The built console, served at `/` (see `loadConsole`). */
  console?: Mount | undefined;
}

/** Starts the whole server on env.host:env.port. */
export async function startServer(
  env: ServerEnv,
  logger: Logger,
  core?: Core,
  mounts: ServerMounts = {},
): Promise<RunningServer> {
  const opened = core ?? (await openCore(env));
  // Other instances' (and the CLI's) changes reach this process's caches and subscribers.
  const stopChangeFeed = await startChangeFeed(opened, {
    onError: (message, error) => logger.warn(message, { error }),
  });
  const gateway = createGateway(opened, logger, env.gatewayLimits);
  const server = createApp({
    core: opened,
    logger,
    gateway: gateway.handle,
    consoleGateway: createConsoleGateway(opened, gateway.handleAs, logger),
    limits: env.httpLimits,
    console: mounts.console,
  });
  const streams = new Set<ServerResponse>();
  server.on('request', (request, response) => {
    // Long-lived event streams would hold shutdown for its whole timeout: they are ended first.
    if ((request.headers.accept ?? '').includes('text/event-stream')) {
      streams.add(response);
      response.on('close', () => streams.delete(response));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: env.port, host: env.host, backlog: 4096 }, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${env.host.includes(':') ? `[${env.host}]` : env.host}:${port}`;
  logger.info('listening', { url, database: opened.database.engine });

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      logger.info('shutting down');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      for (const stream of streams) stream.end();
      const timer = setTimeout(() => server.closeAllConnections(), env.shutdownTimeoutMs);
      await closed;
      clearTimeout(timer);
      // Usage still queued is written before the database closes: nothing recorded is lost.
      await gateway.close();
      await stopChangeFeed();
      await opened.close();
      logger.info('stopped');
    })();
    return stopping;
  };
  return { url, core: opened, gateway, stop };
}
