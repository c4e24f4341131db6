import { ENGINES, type FakeUpstream, startFakeUpstream } from '@switchboard/test-utils';
import { CompiledQuery, Migrator } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCore, createTestCoreWithTarget } from '../../test/test-core.ts';
import { createTestWorkspace, realAdapters, type TestWorkspace } from '../../test/provider-kit.ts';
import type { Core } from '../core.ts';
import { migrateToLatest } from '../db/connect.ts';
import { migrationProvider } from '../db/migrations/index.ts';
import { CoreError } from '../errors.ts';
import { UsageRecorder, type UsageRecord } from '../gateway/usage.ts';
import { credentialSuccessesQuery } from './credential-repository.ts';
import {
  type CredentialView,
  createCredential,
  credentialLastSuccesses,
  installProvider,
  revalidateCredential,
} from './index.ts';

const KEYS = { steady: 'sk-test-fake-health-0001', flaky: 'sk-test-fake-health-0002' };

describe.each(ENGINES)('credential last successes on %s', (engine) => {
  let core: Core;
  let upstream: FakeUpstream;
  /** Keys the upstream refuses with OpenAI's 401 from now on. */
  const rejected = new Set<string>();

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    upstream.route('GET', '/v1/models', (request, response) => {
      const key = (request.headers.authorization ?? '').replace(/^Bearer /, '');
      const ok = !rejected.has(key);
      response.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify(
          ok
            ? { object: 'list', data: [{ id: 'gpt-4o-mini', object: 'model', created: 0, owned_by: 'test' }] }
            : {
                error: {
                  message: 'Incorrect API key provided',
                  type: 'invalid_request_error',
                  code: 'invalid_api_key',
                },
              },
        ),
      );
    });
    core = await createTestCore(engine, { providers: realAdapters() });
  });
  afterAll(async () => {
    await core.close();
    await upstream.close();
  });

  async function workspaceWithKeys(): Promise<{
    ws: TestWorkspace;
    steady: CredentialView;
    flaky: CredentialView;
  }> {
    const ws = await createTestWorkspace(core);
    await installProvider(core, ws.owner, { workspaceId: ws.workspaceId, provider: 'openai' });
    const add = (name: string, key: string) =>
      createCredential(core, ws.admin, {
        workspaceId: ws.workspaceId,
        provider: 'openai',
        name,
        values: { api_key: key, base_url: `${upstream.url}/v1` },
      });
    return { ws, steady: await add('steady', KEYS.steady), flaky: await add('flaky', KEYS.flaky) };
  }

  /** Writes gateway calls through the real usage recorder, as the gateway does. */
  async function recordCalls(records: Partial<UsageRecord>[]): Promise<void> {
    const recorder = new UsageRecorder(core, { intervalMs: 60_000, batchSize: 100 });
    for (const record of records) {
      recorder.record({
        workspaceId: '',
        apiKeyId: null,
        userId: null,
        provider: 'openai',
        model: 'gpt-4o-mini',
        modelType: 'llm',
        credentialId: null,
        tokensIn: 1,
        tokensOut: 1,
        latencyMs: 5,
        ttfbMs: null,
        outcome: 'ok',
        status: 200,
        at: new Date(),
        ...record,
      });
    }
    await recorder.close();
  }

  const byId = async (ws: TestWorkspace) =>
    new Map(
      (await credentialLastSuccesses(core, ws.member, { workspaceId: ws.workspaceId })).map((entry) => [
        entry.credentialId,
        entry,
      ]),
    );

  it('keeps the last passing check of a key that fails its next one', async () => {
    const { ws, steady, flaky } = await workspaceWithKeys();
    let last = await byId(ws);
    expect(last.get(steady.id)).toEqual({ credentialId: steady.id, at: steady.validatedAt, via: 'check' });
    expect(last.get(flaky.id)).toEqual({ credentialId: flaky.id, at: flaky.validatedAt, via: 'check' });

    rejected.add(KEYS.flaky);
    const failed = await revalidateCredential(core, ws.admin, {
      workspaceId: ws.workspaceId,
      credentialId: flaky.id,
    });
    expect(failed.status).toBe('invalid');
    expect(failed.validatedAt! > flaky.validatedAt!).toBe(true);
    const passed = await revalidateCredential(core, ws.admin, {
      workspaceId: ws.workspaceId,
      credentialId: steady.id,
    });

    last = await byId(ws);
    // The failing check is the latest verdict, but the key last worked when it was saved.
    expect(last.get(flaky.id)).toEqual({ credentialId: flaky.id, at: flaky.validatedAt, via: 'check' });
    expect(last.get(steady.id)).toEqual({ credentialId: steady.id, at: passed.validatedAt, via: 'check' });
    rejected.delete(KEYS.flaky);
  });

  it("takes a later successful gateway call, never a failed one or another key's", async () => {
    const { ws, steady, flaky } = await workspaceWithKeys();
    const other = await workspaceWithKeys();
    const later = (ms: number) => new Date(Date.parse(steady.validatedAt!) + ms);
    const workspaceId = ws.workspaceId;
    await recordCalls([
      { workspaceId, credentialId: steady.id, at: later(60_000) },
      { workspaceId, credentialId: steady.id, at: later(30_000) },
      // Failed calls after the last success do not count.
      { workspaceId, credentialId: steady.id, at: later(90_000), outcome: 'upstream_error', status: 502 },
      { workspaceId, credentialId: flaky.id, at: later(120_000), outcome: 'invalid_api_key', status: 401 },
      // Calls without a key (refused before one was chosen) and other workspaces' keys are not these keys'.
      { workspaceId, credentialId: null, at: later(150_000) },
      { workspaceId: other.ws.workspaceId, credentialId: other.flaky.id, at: later(180_000) },
      // A call older than the last passing check loses to it.
      { workspaceId: other.ws.workspaceId, credentialId: other.steady.id, at: later(-3_600_000) },
    ]);
    const last = await byId(ws);
    expect(last.get(steady.id)).toEqual({
      credentialId: steady.id,
      at: later(60_000).toISOString(),
      via: 'call',
    });
    expect(last.get(flaky.id)).toEqual({ credentialId: flaky.id, at: flaky.validatedAt, via: 'check' });
    expect([...last.keys()].sort()).toEqual([steady.id, flaky.id].sort());

    const others = await byId(other.ws);
    expect(others.get(other.flaky.id)).toMatchObject({ at: later(180_000).toISOString(), via: 'call' });
    expect(others.get(other.steady.id)).toMatchObject({ at: other.steady.validatedAt, via: 'check' });
  });

  it('says never for a key with no success on record', async () => {
    const { ws, flaky } = await workspaceWithKeys();
    // As the migration leaves a key that was already failing: no passing check is known.
    await core.db
      .updateTable('provider_credentials')
      .set({ last_valid_at: null })
      .where('id', '=', flaky.id)
      .execute();
    expect((await byId(ws)).get(flaky.id)).toEqual({ credentialId: flaky.id, at: null, via: null });
  });

  it('is readable by every member and hidden from outsiders', async () => {
    const { ws } = await workspaceWithKeys();
    await expect(
      credentialLastSuccesses(core, ws.editor, { workspaceId: ws.workspaceId }),
    ).resolves.toHaveLength(2);
    const error = await credentialLastSuccesses(core, ws.outsider, { workspaceId: ws.workspaceId }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(CoreError);
    expect((error as CoreError).code).toBe('NOT_FOUND');
  });

  it('migrates: a key valid at the time keeps its last check as its last success, a failing one has none', async () => {
    const { core: own, target } = await createTestCoreWithTarget(engine, { providers: realAdapters() });
    try {
      const ws = await createTestWorkspace(own);
      await installProvider(own, ws.owner, { workspaceId: ws.workspaceId, provider: 'openai' });
      const add = (name: string, key: string) =>
        createCredential(own, ws.admin, {
          workspaceId: ws.workspaceId,
          provider: 'openai',
          name,
          values: { api_key: key, base_url: `${upstream.url}/v1` },
        });
      const steady = await add('steady', KEYS.steady);
      const flaky = await add('flaky', KEYS.flaky);
      const schema = target.engine === 'postgres' ? target.schema : undefined;
      const migrator = new Migrator({
        db: own.db,
        provider: migrationProvider,
        ...(schema ? { migrationTableSchema: schema } : {}),
      });
      // Back to just before this migration (later ones go down first), then up to the latest.
      const down = await migrator.migrateTo('2026-12-07T1200-api-key-limits');
      expect(down.error).toBeUndefined();
      const undone = down.results?.map((result) => result.migrationName) ?? [];
      expect(undone.at(-1)).toBe('2026-12-07T1300-credential-last-success');
      await own.db
        .updateTable('provider_credentials')
        .set({ status: 'invalid' })
        .where('id', '=', flaky.id)
        .execute();
      expect(await migrateToLatest(own.db, schema)).toEqual([...undone].reverse());
      expect(await credentialLastSuccesses(own, ws.member, { workspaceId: ws.workspaceId })).toEqual(
        [
          { credentialId: steady.id, at: steady.validatedAt, via: 'check' },
          { credentialId: flaky.id, at: null, via: null },
        ].sort((a, b) => a.credentialId.localeCompare(b.credentialId)),
      );
    } finally {
      await own.close();
    }
  });

  it('finds each key’s last call with an index seek, not a scan of the usage events', async () => {
    const { ws } = await workspaceWithKeys();
    const compiled = credentialSuccessesQuery(core.db, ws.workspaceId).compile();
    const plan = await core.db.connection().execute(async (connection) => {
      // The test tables are tiny: PostgreSQL would rightly scan them; forbid it to see the plan it has for large ones.
      if (engine === 'postgres') await connection.executeQuery(CompiledQuery.raw('set enable_seqscan = off'));
      const explain = engine === 'postgres' ? 'explain ' : 'explain query plan ';
      const result = await connection.executeQuery(
        CompiledQuery.raw(explain + compiled.sql, [...compiled.parameters]),
      );
      if (engine === 'postgres') await connection.executeQuery(CompiledQuery.raw('reset enable_seqscan'));
      return JSON.stringify(result.rows);
    });
    expect(plan).toContain('usage_events_credential_outcome_idx');
    expect(plan).not.toMatch(/Seq Scan on usage_events|SCAN event\b/);
  });
});
