import type { EngineName, FakeUpstream } from '@switchboard/test-utils';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { ApplyFailure, ApplyResult } from '../src/config-as-code/apply.ts';
import { type ConfigFile, parseConfigFile } from '../src/config-as-code/schema.ts';
import type { Core } from '../src/core.ts';
import {
  createTestWorkspace,
  realAdapters,
  startOpenAIFormatUpstream,
  type TestWorkspace,
} from './provider-kit.ts';
import { createTestCore } from './test-core.ts';

// Shared by the configuration-as-code tests: reading a file that must be valid, applying one
// that must apply, and a fresh core and workspace per test beside one OpenAI-format upstream.

/** Parses a file that must be valid. */
export function parseValid(text: string): ConfigFile {
  const result = parseConfigFile(text);
  if ('problems' in result) throw new Error(`unexpected problems: ${JSON.stringify(result.problems)}`);
  return result.config;
}

/** Applies a file that must apply. */
export async function applied(promise: Promise<ApplyResult | ApplyFailure>): Promise<ApplyResult> {
  const result = await promise;
  if ('problems' in result) throw new Error(`unexpected problems: ${JSON.stringify(result.problems)}`);
  return result;
}

/** What each test of a suite gets: set before it runs. */
export interface ConfigFixture {
  core: Core;
  ws: TestWorkspace;
  upstream: FakeUpstream;
}

/**
 * Registers the suite's hooks (call inside `describe`): one OpenAI-format upstream for the suite,
 * a fresh core with the real adapters and a workspace with one member per role for each test.
 */
export function useConfigFixture(engine: EngineName): ConfigFixture {
  const fixture = {} as ConfigFixture;
  beforeAll(async () => {
    fixture.upstream = await startOpenAIFormatUpstream();
  });
  afterAll(() => fixture.upstream.close());
  beforeEach(async () => {
    fixture.core = await createTestCore(engine, { providers: realAdapters() });
    fixture.ws = await createTestWorkspace(fixture.core);
    return () => fixture.core.close();
  });
  return fixture;
}
