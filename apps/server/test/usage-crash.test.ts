import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Actor,
  addCustomModel,
  createApiKey,
  createCore,
  type DatabaseConfig,
  installProvider,
  openDatabase,
  setDefaultModel,
  setupFirstOwner,
} from '@switchboard/core';
import { createAllAdapters } from '@switchboard/providers';
import { ENGINES, type FakeUpstream, startFakeUpstream } from '@switchboard/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Processes, processDatabaseUrl } from './processes.ts';

// Issue 13, defect 13: usage of acknowledged /v1 calls must survive a SIGKILL of the server.
const processes = new Processes();
let upstream: FakeUpstream;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  upstream.route('GET', '/v1/models', {
    json: { object: 'list', data: [{ id: 'local-model', object: 'model', created: 0, owned_by: 'local' }] },
  });
  // Each call says its number in the prompt; the answer reports it as prompt_tokens, so each
  // usage row names the call it belongs to.
  upstream.route('POST', '/v1/chat/completions', (request, response) => {
    const body = request.json() as { model: string; messages: { content: string }[] };
    const number = Number(body.messages[0]?.content);
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        id: `chatcmpl-${number}`,
        object: 'chat.completion',
        created: 1_764_000_000,
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: number, completion_tokens: 1, total_tokens: number + 1 },
      }),
    );
  });
});
afterAll(() => upstream?.close());
afterEach(() => processes.killAll());

function databaseOf(dataDir: string, databaseUrl: string | undefined): DatabaseConfig {
  return databaseUrl
    ? { engine: 'postgres', connectionString: databaseUrl }
    : { engine: 'sqlite', filename: join(dataDir, 'switchboard.db') };
}

/** First owner, an openai-compatible model on the fake upstream as the default, and an API key. */
async function prepare(dataDir: string, database: DatabaseConfig): Promise<string> {
  const core = await createCore({ database, dataDir, providers: createAllAdapters() });
  try {
    const setup = await setupFirstOwner(core, {
      email: 'ops@example.test',
      password: 'long enough secret',
      workspaceName: 'Acme',
    });
    const actor: Actor = { kind: 'user', userId: setup.user.id };
    const workspaceId = setup.workspace.id;
    await installProvider(core, actor, { workspaceId, provider: 'openai-compatible' });
    await addCustomModel(core, actor, {
      workspaceId,
      provider: 'openai-compatible',
      model: { name: 'local-model', type: 'llm' },
      credential: {
        name: 'key',
        values: { base_url: `${upstream.url}/v1`, api_key: 'sk-test-fake-usage-0001' },
      },
    });
    await setDefaultModel(core, actor, {
      workspaceId,
      provider: 'openai-compatible',
      model: { name: 'local-model', type: 'llm' },
    });
    return (await createApiKey(core, actor, { workspaceId, name: 'load' })).key;
  } finally {
    await core.close();
  }
}

describe.each(ENGINES)('usage after a SIGKILL on %s', (engine) => {
  it('has every acknowledged call’s usage exactly once after a restart', { timeout: 120_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-usage-crash-'));
    const databaseUrl = await processDatabaseUrl(engine);
    const database = databaseOf(dataDir, databaseUrl);
    const apiKey = await prepare(dataDir, database);
    const env = processes.env(dataDir, { DATABASE_URL: databaseUrl });
    const server = await processes.server(env);

    const acknowledged = new Set<number>();
    let sent = 0;
    let killed = false;
    let lastFailure = '';
    const worker = async () => {
      while (!killed) {
        const number = ++sent;
        try {
          const response = await fetch(`${server.url}/v1/chat/completions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
            body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: String(number) }] }),
          });
          const body = (await response.json()) as { usage?: { prompt_tokens?: number } };
          if (response.status === 200 && body.usage?.prompt_tokens === number) acknowledged.add(number);
          else lastFailure = `${response.status} ${JSON.stringify(body)}`;
        } catch (error) {
          if (!killed) lastFailure = String(error);
          // The server was killed under this call: not acknowledged.
        }
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    // Killed while calls are in flight, well inside the recorder's one-second flush interval.
    const started = Date.now();
    while (acknowledged.size < 300) {
      if (Date.now() - started > 60_000) throw new Error(`calls did not succeed: ${lastFailure}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await server.kill();
    killed = true;
    await Promise.all(workers);

    const restarted = await processes.server(env);
    expect(await restarted.stop()).toBe(0);

    const handle = openDatabase(database);
    try {
      const rows = await handle.db.selectFrom('usage_events').select(['tokens_in']).execute();
      const calls = rows.map((row) => Number(row.tokens_in));
      // Every acknowledged call once; calls cut by the kill at most once; nothing else.
      for (const number of acknowledged) expect(calls.filter((call) => call === number)).toHaveLength(1);
      expect(new Set(calls).size).toBe(calls.length);
      expect(calls.every((call) => call >= 1 && call <= sent)).toBe(true);
    } finally {
      await handle.close();
    }
    expect(readdirSync(join(dataDir, 'usage-journal'))).toEqual([]);
    rmSync(dataDir, { recursive: true, force: true });
  });
});
