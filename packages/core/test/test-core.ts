import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProviderAdapter } from '@switchboard/providers/spec';
import { type EngineName, freshDatabaseTarget } from '@switchboard/test-utils';
import { type Core, createCore } from '../src/core.ts';

/** A fake but well-formed master key for tests (32 bytes, base64). */
export const TEST_MASTER_KEY = Buffer.alloc(32, 7).toString('base64');

/**
 * A Core on a fresh database of the given engine (in-memory SQLite, or a new
 * PostgreSQL schema), migrated, with a throwaway data dir and a fixed test master key.
 */
export async function createTestCore(
  engine: EngineName,
  options: { providers?: ProviderAdapter[]; masterKey?: string } = {},
): Promise<Core> {
  const target = await freshDatabaseTarget(engine);
  return createCore({
    database: target,
    dataDir: mkdtempSync(join(tmpdir(), 'switchboard-test-')),
    masterKey: { env: options.masterKey ?? TEST_MASTER_KEY },
    ...(options.providers ? { providers: options.providers } : {}),
  });
}
