import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';

const port = z.coerce
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .min(0, 'must be 0-65535')
  .max(65535, 'must be 0-65535');

const schema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(8787),
  SWITCHBOARD_DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL (leave it unset for SQLite)')
    .optional(),
  SWITCHBOARD_MASTER_KEY: z.string().min(1).optional(),
  SWITCHBOARD_MASTER_KEY_PREVIOUS: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  SWITCHBOARD_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  SWITCHBOARD_WORKERS: z
    .union([
      z.literal('auto'),
      z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(64),
    ])
    .default(1),
});

/** The server's configuration, read once from the environment. */
export interface ServerEnv {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  masterKey: string | undefined;
  masterKeyPrevious: string | undefined;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  shutdownTimeoutMs: number;
  /** Server processes sharing the port (`auto`: one per CPU core). */
  workers: number;
}

/** Thrown with every bad variable named, so the operator fixes them all at once. */
export class EnvError extends Error {
  override readonly name = 'EnvError';
}

/** Parses and validates the environment; empty strings count as unset. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): ServerEnv {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new EnvError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const env = parsed.data;
  return {
    host: env.HOST,
    port: env.PORT,
    dataDir: resolve(env.SWITCHBOARD_DATA_DIR),
    databaseUrl: env.DATABASE_URL,
    masterKey: env.SWITCHBOARD_MASTER_KEY,
    masterKeyPrevious: env.SWITCHBOARD_MASTER_KEY_PREVIOUS,
    logLevel: env.LOG_LEVEL,
    shutdownTimeoutMs: env.SWITCHBOARD_SHUTDOWN_TIMEOUT_MS,
    workers: env.SWITCHBOARD_WORKERS === 'auto' ? availableParallelism() : env.SWITCHBOARD_WORKERS,
  };
}
