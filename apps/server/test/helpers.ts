import { TRPCClientError } from '@trpc/client';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Core, createCore } from '@switchboard/core';
import { createAllAdapters } from '@switchboard/providers';
import { freshTestTarget } from '@switchboard/core/testing';
import { type EngineName, freshDatabaseTarget } from '@switchboard/test-utils';
import type { ServerEnv } from '../src/env.ts';
import { DEFAULT_LIMITS } from '../src/gateway/gateway.ts';
import { DEFAULT_HTTP_LIMITS } from '../src/http/limits.ts';
import { createLogger, type Logger } from '../src/log.ts';
import { type RunningServer, startServer } from '../src/server.ts';

/** Fake master key for tests: 32 bytes, base64. */
export const TEST_MASTER_KEY = Buffer.alloc(32, 9).toString('base64');

export function testEnv(overrides: Partial<ServerEnv> = {}): ServerEnv {
  return {
    host: '127.0.0.1',
    port: 0,
    dataDir: mkdtempSync(join(tmpdir(), 'switchboard-server-')),
    databaseUrl: undefined,
    masterKey: TEST_MASTER_KEY,
    masterKeyPrevious: undefined,
    logLevel: 'silent',
    shutdownTimeoutMs: 2_000,
    gatewayLimits: { ...DEFAULT_LIMITS },
    httpLimits: { ...DEFAULT_HTTP_LIMITS },
    workers: 1,
    ...overrides,
  };
}

/** A real server on a free port over a fresh database of the given engine. */
export async function startTestServer(
  engine: EngineName,
  overrides: Partial<ServerEnv> = {},
  logger: Logger = createLogger('silent'),
): Promise<RunningServer & { core: Core }> {
  const env = testEnv(overrides);
  const target = await freshDatabaseTarget(engine);
  const core = await createCore({
    database:
      target.engine === 'sqlite' ? { engine: 'sqlite', filename: join(env.dataDir, 'test.db') } : target,
    dataDir: env.dataDir,
    masterKey: { env: TEST_MASTER_KEY },
    providers: createAllAdapters(),
  });
  return startServer(env, logger, core);
}

/**
 * Two servers (two Cores, two HTTP servers) on one fresh database, as two instances of one
 * deployment: one PostgreSQL schema, or one SQLite file that both open.
 */
export async function startServerPair(engine: EngineName): Promise<[RunningServer, RunningServer]> {
  const target = await freshTestTarget(engine, { file: true });
  const open = () =>
    createCore({
      database: target,
      dataDir: mkdtempSync(join(tmpdir(), 'switchboard-instance-')),
      masterKey: { env: TEST_MASTER_KEY },
      providers: createAllAdapters(),
    });
  const first = await startServer(testEnv(), createLogger('silent'), await open());
  const second = await startServer(testEnv(), createLogger('silent'), await open());
  return [first, second];
}

/** The tRPC code, message and field errors of a call through the typed client that must fail. */
export async function trpcFailure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TRPCClientError) {
      const data = error.data as { code?: string; fieldErrors?: Record<string, string[]> } | undefined;
      return { code: data?.code, message: error.message, fieldErrors: data?.fieldErrors };
    }
    throw error;
  }
  throw new Error('expected the call to fail');
}
