import { ENGINES } from '@switchboard/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCore } from '../../test/test-core.ts';
import { usageCall } from '../../test/usage-kit.ts';
import type { Core } from '../core.ts';
import { newId, nowIso } from '../ids.ts';
import { cooldownFor, UNTIL_CHANGED_MS } from './cooldowns.ts';
import { WeightedRoundRobin } from './selection.ts';
import { UsageRecorder } from './usage.ts';

describe('cooldownFor', () => {
  const now = 1_000_000;
  it("rests a rate-limited key for the provider's Retry-After, or 60 s", () => {
    expect(cooldownFor({ code: 'rate_limited', retryAfterMs: 7_000 }, 0, now)?.untilMs).toBe(now + 7_000);
    expect(cooldownFor({ code: 'rate_limited' }, 0, now)?.untilMs).toBe(now + 60_000);
  });
  it('rests a rejected key until it is changed', () => {
    expect(cooldownFor({ code: 'invalid_credentials' }, 0, now)?.untilMs).toBe(UNTIL_CHANGED_MS);
    expect(cooldownFor({ code: 'permission_denied' }, 0, now)?.untilMs).toBe(UNTIL_CHANGED_MS);
  });
  it('counts one or two transient failures without resting the key, then rests it 10 s, doubling, at most 5 minutes', () => {
    expect(cooldownFor({ code: 'upstream_unavailable' }, 0, now)).toMatchObject({
      untilMs: now,
      failures: 1,
    });
    expect(cooldownFor({ code: 'timeout' }, 1, now)).toMatchObject({ untilMs: now, failures: 2 });
    expect(cooldownFor({ code: 'upstream_unavailable' }, 2, now)).toMatchObject({
      untilMs: now + 10_000,
      firm: false,
    });
    expect(cooldownFor({ code: 'malformed_response' }, 3, now)?.untilMs).toBe(now + 20_000);
    expect(cooldownFor({ code: 'upstream_unavailable' }, 5, now)?.untilMs).toBe(now + 80_000);
    expect(cooldownFor({ code: 'upstream_unavailable' }, 20, now)?.untilMs).toBe(now + 300_000);
  });
  it('rests a key at once, firmly, when the provider says when to come back', () => {
    expect(cooldownFor({ code: 'upstream_unavailable', retryAfterMs: 4_000 }, 0, now)).toMatchObject({
      untilMs: now + 4_000,
      firm: true,
    });
    expect(cooldownFor({ code: 'rate_limited', retryAfterMs: 7_000 }, 0, now)?.firm).toBe(true);
    // A rest the gateway chose itself (no Retry-After) leaves the key usable when no other is left.
    expect(cooldownFor({ code: 'rate_limited' }, 0, now)?.firm).toBe(false);
    expect(cooldownFor({ code: 'invalid_credentials' }, 0, now)?.firm).toBe(true);
  });
  it("does not rest a key for the caller's mistakes", () => {
    for (const code of ['bad_request', 'model_not_found', 'unsupported', 'aborted'] as const) {
      expect(cooldownFor({ code }, 0, now)).toBeUndefined();
    }
  });
});

describe('WeightedRoundRobin', () => {
  it('picks in proportion to the weights, interleaved, and skips resting keys', () => {
    const router = new WeightedRoundRobin();
    const candidates = [
      { id: 'a', weight: 3 },
      { id: 'b', weight: 1 },
    ];
    const picks = Array.from({ length: 8 }, () => router.order('m', candidates, () => true)[0]?.id);
    expect(picks.filter((id) => id === 'a')).toHaveLength(6);
    // Interleaved (a a b a), not in bursts (a a a b).
    expect(picks.slice(0, 4)).toEqual(['a', 'a', 'b', 'a']);
    const ordered = router.order('m', candidates, (candidate) => candidate.id !== 'a');
    expect(ordered.map((candidate) => candidate.id)).toEqual(['b']);
  });
  it('keeps its place when the pool comes back as a new array (a reloaded snapshot)', () => {
    const router = new WeightedRoundRobin();
    const pool = () => [
      { id: 'a', weight: 3 },
      { id: 'b', weight: 1 },
      { id: 'c', weight: 2 },
    ];
    const steady = pool();
    const reference = Array.from({ length: 12 }, () => router.pick('m', steady, () => true)?.chosen.id);
    const reloading = new WeightedRoundRobin();
    const picks = Array.from({ length: 12 }, () => reloading.pick('m', pool(), () => true)?.chosen.id);
    expect(picks).toEqual(reference);
    expect(reference.filter((id) => id === 'a')).toHaveLength(6);
    // A single available key is taken without moving the others' places.
    expect(reloading.pick('m', steady, (candidate) => candidate.id === 'b')?.chosen.id).toBe('b');
    expect(reloading.pick('m', steady, () => true)?.chosen.id).toBe(
      router.pick('m', steady, () => true)?.chosen.id,
    );
    expect(reloading.pick('m', steady, () => false)).toBeUndefined();
  });
  it('puts the other keys after the pick, heaviest first, for failover', () => {
    const router = new WeightedRoundRobin();
    const order = router.order(
      'm',
      [
        { id: 'a', weight: 1 },
        { id: 'b', weight: 5 },
        { id: 'c', weight: 3 },
      ],
      () => true,
    );
    expect(order.map((candidate) => candidate.id)).toEqual(['b', 'c', 'a']);
  });
});

describe.each(ENGINES)('UsageRecorder on %s', (engine) => {
  let core: Core;
  const workspaceId = newId('ws');
  beforeAll(async () => {
    core = await createTestCore(engine);
    await core.db
      .insertInto('workspaces')
      .values({ id: workspaceId, name: 'U', created_at: nowIso(), updated_at: nowIso() })
      .execute();
  });
  afterAll(() => core.close());

  it('writes queued records in batches, and everything left on close', async () => {
    const recorder = new UsageRecorder(core, { intervalMs: 60_000, batchSize: 1_000 });
    for (let i = 0; i < 1_234; i++) {
      recorder.record(usageCall(workspaceId, 1));
    }
    await recorder.close();
    const count = await core.db
      .selectFrom('usage_events')
      .select((eb) => eb.fn.countAll<string | number>().as('count'))
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirstOrThrow();
    expect(Number(count.count)).toBe(1_234);
  });
});
