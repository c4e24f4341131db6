import type { Core } from '../src/core.ts';
import type { UsageRecord } from '../src/gateway/usage.ts';
import { newId, nowIso } from '../src/ids.ts';

// What the usage recorder's tests share: a workspace to record calls of, and one call's record.

/** Adds a workspace to `core` and returns its id. */
export async function addWorkspace(core: Core, name = 'U'): Promise<string> {
  const workspaceId = newId('ws');
  await core.db
    .insertInto('workspaces')
    .values({ id: workspaceId, name, created_at: nowIso(), updated_at: nowIso() })
    .execute();
  return workspaceId;
}

/** One successful call's record, told apart by its `tokensIn`. */
export const usageCall = (workspaceId: string, tokensIn: number): UsageRecord => ({
  workspaceId,
  apiKeyId: null,
  userId: 'usr_x',
  provider: 'openai',
  model: 'gpt-4o-mini',
  modelType: 'llm',
  credentialId: null,
  tokensIn,
  tokensOut: 2,
  latencyMs: 3.4,
  ttfbMs: null,
  outcome: 'ok',
  status: 200,
  at: new Date(),
});
