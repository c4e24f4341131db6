import { setupFirstOwner } from '@switchboard/core';
import { createSwitchboardClient } from '@switchboard/client';
import { ENGINES } from '@switchboard/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { startTestServer, trpcFailure as failure } from './helpers.ts';

const EMAIL = 'scoped@example.test';
const PASSWORD = 'correct horse battery';

describe.each(ENGINES)('scoped personal access tokens, through the typed client on %s', (engine) => {
  let server: RunningServer;
  let workspaceId: string;

  /** A client signed in with a token minted from the password, limited to `scopes` when given. */
  async function clientWith(scopes?: string[]) {
    const anonymous = createSwitchboardClient({ url: server.url });
    const created = await anonymous.auth.createToken.mutate({
      email: EMAIL,
      password: PASSWORD,
      name: `token ${scopes?.join('+') ?? 'full'}`,
      ...(scopes ? { scopes } : {}),
    });
    return { client: createSwitchboardClient({ url: server.url, token: created.token }), created };
  }

  beforeAll(async () => {
    server = await startTestServer(engine);
    const setup = await setupFirstOwner(server.core, {
      email: EMAIL,
      password: PASSWORD,
      workspaceName: 'Scoped',
    });
    workspaceId = setup.workspace.id;
  });
  afterAll(() => server.stop());

  it('lets a read token read and use nothing more, each refusal naming the scope it lacks', async () => {
    const { client, created } = await clientWith(['read']);
    expect(created.view.scopes).toEqual(['read']);
    expect(await client.providers.list.query({ workspaceId })).toEqual(expect.any(Array));

    const install = await failure(client.providers.install.mutate({ workspaceId, provider: 'openai' }));
    expect(install).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('`manage` scope') });
    const apiKey = await failure(client.apiKeys.create.mutate({ workspaceId, name: 'app' }));
    expect(apiKey).toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringContaining('`api-keys.own` scope'),
    });
    expect((await failure(client.workspaces.create.mutate({ name: 'Elsewhere' }))).code).toBe('FORBIDDEN');

    // Nothing was written by the refused calls.
    const owner = (await clientWith()).client;
    expect(await owner.providers.list.query({ workspaceId })).toEqual([]);
    expect(await owner.apiKeys.list.query({ workspaceId })).toEqual([]);
    expect(await owner.workspaces.list.query()).toHaveLength(1);
  });

  it('lets a token mint tokens only within its own scopes', async () => {
    const { client } = await clientWith(['read']);
    const inherited = await client.tokens.create.mutate({ name: 'child' });
    expect(inherited.view.scopes).toEqual(['read']);
    const wider = await failure(client.tokens.create.mutate({ name: 'wider', scopes: ['manage'] }));
    expect(wider.code).toBe('FORBIDDEN');
    const listed = await client.tokens.list.query();
    expect(listed.some((token) => token.name === 'wider')).toBe(false);
  });

  it('lets an api-keys token create and revoke its keys but not manage providers', async () => {
    const { client } = await clientWith(['api-keys.own']);
    const key = await client.apiKeys.create.mutate({ workspaceId, name: 'app' });
    expect(key.key).toMatch(/^sbk_/);
    await client.apiKeys.revoke.mutate({ workspaceId, apiKeyId: key.view.id });
    expect((await failure(client.providers.install.mutate({ workspaceId, provider: 'openai' }))).code).toBe(
      'FORBIDDEN',
    );
  });

  it('leaves an unscoped token everything its role allows', async () => {
    const { client, created } = await clientWith();
    expect(created.view.scopes).toBeNull();
    await client.providers.install.mutate({ workspaceId, provider: 'openai' });
    await client.providers.uninstall.mutate({ workspaceId, provider: 'openai', confirm: true });
  });

  it('refuses unknown or empty scopes, naming the field, and creates nothing', async () => {
    const owner = (await clientWith()).client;
    const before = (await owner.tokens.list.query()).length;
    const unknown = await failure(owner.tokens.create.mutate({ name: 'x', scopes: ['admin'] }));
    expect(unknown).toMatchObject({
      code: 'BAD_REQUEST',
      fieldErrors: { scopes: [expect.stringContaining('admin')] },
    });
    const empty = await failure(owner.tokens.create.mutate({ name: 'x', scopes: [] }));
    expect(empty).toMatchObject({ code: 'BAD_REQUEST', fieldErrors: { scopes: [expect.any(String)] } });
    expect(await owner.tokens.list.query()).toHaveLength(before);
  });
});
