import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProviderAdapter } from '@switchboard/provider-spec';
import { type DatabaseTarget, type EngineName, freshDatabaseTarget } from '@switchboard/test-utils';
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

/** Options of the test Core helpers. */
export interface TestCoreOptions {
  providers?: ProviderAdapter[];
  masterKey?: string;
}

/**
 * A fresh database target; with `file`, SQLite gets a file in a temporary folder
 * instead of `:memory:`, so that a second Core (another "process") can open it.
 */
export async function freshTestTarget(
  engine: EngineName,
  options: { file?: boolean } = {},
): Promise<DatabaseTarget> {
  if (engine === 'sqlite' && options.file) {
    return { engine, filename: join(mkdtempSync(join(tmpdir(), 'switchboard-db-')), 'switchboard.db') };
  }
  return freshDatabaseTarget(engine);
}

/** A Core on an existing target: a second instance on the same database as another test Core. */
export async function createTestCoreOn(target: DatabaseTarget, options: TestCoreOptions = {}): Promise<Core> {
  return createCore({
    database: target,
    dataDir: mkdtempSync(join(tmpdir(), 'switchboard-test-')),
    masterKey: { env: options.masterKey ?? TEST_MASTER_KEY },
    ...(options.providers ? { providers: options.providers } : {}),
  });
}

/** A Core on a fresh target, and the target, so that more Cores can share its database. */
export async function createTestCoreWithTarget(
  engine: EngineName,
  options: TestCoreOptions & { file?: boolean } = {},
): Promise<{ core: Core; target: DatabaseTarget }> {
  const target = await freshTestTarget(engine, { file: options.file ?? false });
  return { core: await createTestCoreOn(target, options), target };
}
