import { ENGINES } from '@switchboard/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCore } from '../../test/test-core.ts';
import { createTestWorkspace, realAdapters, type TestWorkspace } from '../../test/provider-kit.ts';
import type { Core } from '../core.ts';
import { CooldownBoard, startCooldown } from '../gateway/cooldowns.ts';
import { resolveModel } from './index.ts';
import { seedLargeWorkspace } from './large-workspace.ts';

// Under a 429 storm keys start and end rests many times a second: each rest updates the resolve
// snapshot in place, where it used to reload the workspace and decrypt every key again.

const until = (delayMs: number) => new Date(Date.now() + delayMs);
const settled = () => new Promise((resolve) => setTimeout(resolve, 50));

describe.each(ENGINES)('the resolve snapshot under cooldown churn on %s', (engine) => {
  let core: Core;
  let large: TestWorkspace;

  beforeAll(async () => {
    core = await createTestCore(engine, { providers: await realAdapters() });
    large = await createTestWorkspace(core, 'Storm');
    await seedLargeWorkspace(core, large.workspaceId, { models: 600, credentials: 500 });
  });
  afterAll(() => core?.close());

  it('takes each rest in place, without decrypting a single credential again', async () => {
    const first = await resolveModel(core, large.workspaceId, 'llm', 'openai/gpt-4o-mini');
    const decrypted = core.resolveCache.decryptions;
    expect(decrypted).toBeGreaterThanOrEqual(400);
    const keys = (
      await core.db
        .selectFrom('provider_credentials')
        .select('id')
        .where('workspace_id', '=', large.workspaceId)
        .execute()
    ).map((row) => row.id);
    for (const [index, credentialId] of keys.slice(0, 100).entries()) {
      await startCooldown(core, {
        workspaceId: large.workspaceId,
        credentialId,
        until: until(30_000 + index),
        reason: 'storm',
      });
    }
    await startCooldown(core, {
      workspaceId: large.workspaceId,
      credentialId: first.credential.id,
      until: until(45_000),
      reason: 'storm',
    });
    await settled();
    const after = await resolveModel(core, large.workspaceId, 'llm', 'openai/gpt-4o-mini');
    expect(core.resolveCache.decryptions).toBe(decrypted);
    expect(after.credential.id).toBe(first.credential.id);
    expect(after.credential.cooldownUntilMs).toBeGreaterThan(Date.now() + 40_000);
  });

  it("takes the gateway's own rest as written, without reading the row back", async () => {
    const resolved = await resolveModel(core, large.workspaceId, 'llm', 'openai/gpt-4o-mini');
    const credentialId = resolved.credential.id;
    const decrypted = core.resolveCache.decryptions;
    const taken = core.resolveCache.cooldownsTakenAsWritten;
    const board = new CooldownBoard(core);
    const now = Date.now();
    board.start(large.workspaceId, credentialId, { code: 'rate_limited', retryAfterMs: 90_000 }, now);
    await board.settle();
    const stored = await core.db
      .selectFrom('credential_cooldowns')
      .select('until')
      .where('credential_id', '=', credentialId)
      .executeTakeFirstOrThrow();
    expect(core.resolveCache.cooldownsTakenAsWritten).toBe(taken + 1);
    expect(resolved.credential.cooldownUntilMs).toBe(Date.parse(stored.until));
    expect(resolved.credential.cooldownUntilMs).toBe(now + 90_000);
    expect(core.resolveCache.decryptions).toBe(decrypted);
    // Another process's rest (a notice with no write of ours before it) is still read from the row.
    await core.db
      .updateTable('credential_cooldowns')
      .set({ until: new Date(now + 120_000).toISOString() })
      .where('credential_id', '=', credentialId)
      .execute();
    core.changes.deliver({
      workspaceId: large.workspaceId,
      kind: 'cooldown',
      id: credentialId,
      action: 'cooldown.start',
      at: new Date().toISOString(),
    });
    await settled();
    expect(core.resolveCache.cooldownsTakenAsWritten).toBe(taken + 1);
    expect(resolved.credential.cooldownUntilMs).toBe(now + 120_000);
  });

  it('still reloads on any other change (a credential edited)', async () => {
    const decrypted = core.resolveCache.decryptions;
    core.changes.publish({
      workspaceId: large.workspaceId,
      kind: 'credential',
      id: null,
      action: 'credential.update',
      at: new Date().toISOString(),
    });
    await resolveModel(core, large.workspaceId, 'llm', 'openai/gpt-4o-mini');
    expect(core.resolveCache.decryptions).toBeGreaterThan(decrypted);
  });
});
