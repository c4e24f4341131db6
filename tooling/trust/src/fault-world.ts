import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Actor,
  addCustomModel,
  createApiKey,
  createCore,
  createCredential,
  type DatabaseConfig,
  installProvider,
  setDefaultModel,
  setLoadBalancing,
  setupFirstOwner,
} from '@switchboard/core';
import { createAllAdapters } from '@switchboard/providers';
import type { UpstreamMode } from './fault-upstream.ts';

/** The owner's password in every trust world (fake, long enough). */
export const WORLD_PASSWORD = 'trust suite password';
/** The owner's email in every trust world. */
export const WORLD_EMAIL = 'owner@trust.example.test';

/** A prepared data dir (and PostgreSQL database): one workspace with models on a local upstream. */
export interface World {
  dataDir: string;
  /** Unset for SQLite (a file in the data dir). */
  databaseUrl: string | undefined;
  workspaceId: string;
  /** The owner's personal access token (`sbp_…`), for /trpc. */
  token: string;
  /** A workspace API key (`sbk_…`), for /v1. */
  apiKey: string;
  /** Credential ids of `trust-model`, in the order of `chatKeys`. */
  chatCredentialIds: string[];
  /** The database the servers use, for a suite that inspects it. */
  database: DatabaseConfig;
}

/** What to prepare. */
export interface WorldOptions {
  /** `baseUrl(mode)` of the upstream. */
  baseUrl: (mode: UpstreamMode) => string;
  /** How each key of `trust-model` behaves; two or more turn load balancing on, so the gateway fails over. */
  chatKeys: readonly UpstreamMode[];
  /** Load balancing over the chat keys when there are several (default true). */
  loadBalance?: boolean;
  /** PostgreSQL database URL; SQLite when absent. */
  databaseUrl?: string | undefined;
}

/**
 * First owner, openai-compatible with a chat model `trust-model` (one credential per entry of
 * `chatKeys`, load balanced when several) and an embedding model `trust-embed`, the chat model
 * as default, and an API key. Written in this process before any server starts.
 */
export async function prepareWorld(options: WorldOptions): Promise<World> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-trust-'));
  const database: DatabaseConfig = options.databaseUrl
    ? { engine: 'postgres', connectionString: options.databaseUrl }
    : { engine: 'sqlite', filename: join(dataDir, 'switchboard.db') };
  const core = await createCore({ database, dataDir, providers: createAllAdapters() });
  try {
    const setup = await setupFirstOwner(core, {
      email: WORLD_EMAIL,
      password: WORLD_PASSWORD,
      workspaceName: 'Trust',
    });
    const actor: Actor = { kind: 'user', userId: setup.user.id };
    const workspaceId = setup.workspace.id;
    const provider = 'openai-compatible';
    await installProvider(core, actor, { workspaceId, provider });
    const chat = { name: 'trust-model', type: 'llm' } as const;
    const [first = 'ok', ...others] = options.chatKeys;
    const added = await addCustomModel(core, actor, {
      workspaceId,
      provider,
      model: chat,
      credential: {
        name: `key ${first} 0`,
        values: { base_url: options.baseUrl(first), api_key: 'sk-test-fake-trust-0000' },
      },
    });
    const chatCredentialIds = [added.credential?.id as string];
    for (const [index, mode] of others.entries()) {
      const created = await createCredential(core, actor, {
        workspaceId,
        provider,
        model: chat,
        name: `key ${mode} ${index + 1}`,
        values: { base_url: options.baseUrl(mode), api_key: `sk-test-fake-trust-000${index + 1}` },
      });
      chatCredentialIds.push(created.id);
    }
    if (chatCredentialIds.length > 1 && options.loadBalance !== false) {
      await setLoadBalancing(core, actor, {
        workspaceId,
        provider,
        model: chat,
        enabled: true,
        credentials: chatCredentialIds.map((credentialId) => ({ credentialId, weight: 1 })),
      });
    }
    await addCustomModel(core, actor, {
      workspaceId,
      provider,
      model: { name: 'trust-embed', type: 'text-embedding' },
      credential: {
        name: 'embed key',
        values: { base_url: options.baseUrl('ok'), api_key: 'sk-test-fake-trust-embed' },
      },
    });
    await setDefaultModel(core, actor, { workspaceId, provider, model: chat });
    const apiKey = (await createApiKey(core, actor, { workspaceId, name: 'trust' })).key;
    return {
      dataDir,
      databaseUrl: options.databaseUrl,
      workspaceId,
      token: setup.token,
      apiKey,
      chatCredentialIds,
      database,
    };
  } finally {
    await core.close();
  }
}

/** One /v1 chat call's body, tagged so its answer can be matched to it. */
export function chatBody(tag: string, stream = false): string {
  return JSON.stringify({
    model: 'openai-compatible/trust-model',
    messages: [{ role: 'user', content: tag }],
    ...(stream ? { stream: true } : {}),
  });
}
