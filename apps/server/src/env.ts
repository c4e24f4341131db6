import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import type { GatewayLimits } from './gateway/limits.ts';
import type { HttpLimits } from './http/limits.ts';

const port = z.coerce
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .min(0, 'must be 0-65535')
  .max(65535, 'must be 0-65535');

const bytes = z.coerce
  .number({ error: 'must be a number of bytes' })
  .int('must be a whole number of bytes')
  .min(1024, 'must be at least 1024 bytes');

const milliseconds = z.coerce
  .number({ error: 'must be a number of milliseconds' })
  .int('must be a whole number of milliseconds')
  .min(100, 'must be at least 100 ms');

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
  SWITCHBOARD_ALLOW_METADATA_ADDRESSES: z.enum(['0', '1'], { error: 'must be 0 or 1' }).default('0'),
  SWITCHBOARD_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  // Gateway limits: request bodies, and patience with clients that stall sending or reading.
  SWITCHBOARD_MAX_JSON_BYTES: bytes.default(2 * 1024 * 1024),
  SWITCHBOARD_MAX_AUDIO_BYTES: bytes.default(20 * 1024 * 1024),
  SWITCHBOARD_BODY_IDLE_MS: milliseconds.default(30_000),
  SWITCHBOARD_WRITE_IDLE_MS: milliseconds.default(60_000),
  // Server limits: management bodies, slow requests everywhere, connections held at once.
  SWITCHBOARD_MAX_TRPC_BYTES: bytes.default(1024 * 1024),
  SWITCHBOARD_BODY_TIMEOUT_MS: milliseconds.default(120_000),
  SWITCHBOARD_HEADERS_TIMEOUT_MS: milliseconds.default(20_000),
  SWITCHBOARD_MAX_CONNECTIONS: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .default(10_000),
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
  /** Upstream calls may reach link-local and cloud-metadata addresses (decision 0021); unset: refused. */
  allowMetadataAddresses?: boolean;
  shutdownTimeoutMs: number;
  /** The gateway's body limits and patience with slow clients. */
  gatewayLimits: GatewayLimits;
  /** The HTTP server's limits: /trpc bodies, slow requests, connections. */
  httpLimits: HttpLimits;
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
    allowMetadataAddresses: env.SWITCHBOARD_ALLOW_METADATA_ADDRESSES === '1',
    shutdownTimeoutMs: env.SWITCHBOARD_SHUTDOWN_TIMEOUT_MS,
    gatewayLimits: {
      maxJsonBytes: env.SWITCHBOARD_MAX_JSON_BYTES,
      maxAudioBytes: env.SWITCHBOARD_MAX_AUDIO_BYTES,
      bodyIdleMs: env.SWITCHBOARD_BODY_IDLE_MS,
      bodyTimeoutMs: env.SWITCHBOARD_BODY_TIMEOUT_MS,
      writeIdleMs: env.SWITCHBOARD_WRITE_IDLE_MS,
    },
    httpLimits: {
      maxTrpcBytes: env.SWITCHBOARD_MAX_TRPC_BYTES,
      bodyIdleMs: env.SWITCHBOARD_BODY_IDLE_MS,
      bodyTimeoutMs: env.SWITCHBOARD_BODY_TIMEOUT_MS,
      headersTimeoutMs: env.SWITCHBOARD_HEADERS_TIMEOUT_MS,
      maxConnections: env.SWITCHBOARD_MAX_CONNECTIONS,
    },
    workers: env.SWITCHBOARD_WORKERS === 'auto' ? availableParallelism() : env.SWITCHBOARD_WORKERS,
  };
}
