import { createUser, createWorkspace, setupFirstOwner } from '@switchboard/core';
import { createSwitchboardClient } from '@switchboard/client';
import { ENGINES } from '@switchboard/test-utils';
import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { startTestServer } from './helpers.ts';

/** One request with any method (fetch will not send TRACE), answered as a fetch Response. */
async function rawMethod(url: string, method: string, path: string): Promise<Response> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const outgoing = request(`${url}${path}`, { method }, (incoming) => {
      const headers = new Headers();
      for (const [name, value] of Object.entries(incoming.headers))
        if (typeof value === 'string') headers.set(name, value);
      incoming.resume();
      incoming.on('end', () => resolve(new Response(null, { status: incoming.statusCode ?? 0, headers })));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

async function trpcCode(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    if (error instanceof TRPCClientError) return (error.data as { code?: string } | undefined)?.code;
    throw error;
  }
}

describe.each(ENGINES)('server over HTTP on %s', (engine) => {
  let server: RunningServer;
  let ownerToken: string;
  let workspaceId: string;

  beforeAll(async () => {
    server = await startTestServer(engine);
    const setup = await setupFirstOwner(server.core, {
      email: 'owner@example.test',
      password: 'correct horse battery',
      workspaceName: 'Acme',
    });
    ownerToken = setup.token;
    workspaceId = setup.workspace.id;
  });
  afterAll(() => server.stop());

  it('answers /healthz when the database is reachable', async () => {
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('serves auth.me to the token printed by setup, through the typed client', async () => {
    const client = createSwitchboardClient({ url: server.url, token: ownerToken });
    const me = await client.auth.me.query();
    expect(me.user.email).toBe('owner@example.test');
    expect(me.workspaces.map((entry) => entry.workspace.id)).toEqual([workspaceId]);
  });

  it('answers a method /trpc does not serve with 405 naming the ones it does, never 500 (TRACE did)', async () => {
    for (const method of ['TRACE', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const response = await fetch(`${server.url}/trpc/auth.me`, {
        method,
        headers: { authorization: `Bearer ${ownerToken}` },
      }).catch(async (error: unknown) => {
        // fetch refuses to send TRACE itself: a raw request does.
        if (method !== 'TRACE') throw error;
        return rawMethod(server.url, method, '/trpc/auth.me');
      });
      expect({ method, status: response.status }).toEqual({ method, status: 405 });
      expect(response.headers.get('allow')).toBe('GET, HEAD, POST');
    }
  });

  it('refuses a missing or wrong token with UNAUTHORIZED', async () => {
    expect(await trpcCode(createSwitchboardClient({ url: server.url }).auth.me.query())).toBe('UNAUTHORIZED');
    const wrong = createSwitchboardClient({ url: server.url, token: 'sbp_thisisnotarealtokenatall000000' });
    expect(await trpcCode(wrong.auth.me.query())).toBe('UNAUTHORIZED');
  });

  it('gives a non-member NOT_FOUND for another workspace', async () => {
    const outsider = await createUser(
      server.core,
      { kind: 'system', label: 'cli' },
      { email: 'outsider@example.test', name: 'Outsider', password: 'another long password' },
    );
    const own = await createWorkspace(
      server.core,
      { kind: 'user', userId: outsider.id },
      { name: 'Elsewhere' },
    );
    const ownerClient = createSwitchboardClient({ url: server.url, token: ownerToken });
    expect(await trpcCode(ownerClient.workspaces.byId.query({ workspaceId: own.id }))).toBe('NOT_FOUND');
    expect(
      await trpcCode(ownerClient.workspaces.byId.query({ workspaceId: 'ws_doesnotexist000000000' })),
    ).toBe('NOT_FOUND');
  });

  it('signs in with a session cookie and refuses cross-site writes that rely on it', async () => {
    const login = await fetch(`${server.url}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'owner@example.test', password: 'correct horse battery' }),
    });
    expect(login.status).toBe(200);
    const setCookie = login.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^sb_session=[^;]+;.*HttpOnly/);
    const cookie = setCookie.split(';')[0] as string;

    const me = await fetch(`${server.url}/trpc/auth.me`, { headers: { cookie } });
    expect(me.status).toBe(200);

    const crossSite = await fetch(`${server.url}/trpc/workspaces.create`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', origin: 'https://evil.example' },
      body: JSON.stringify({ name: 'Forged' }),
    });
    expect(crossSite.status).toBe(403);
    const formPost = await fetch(`${server.url}/trpc/workspaces.create`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'text/plain' },
      body: JSON.stringify({ name: 'Forged' }),
    });
    expect(formPost.status).toBe(403);
    const sameSite = await fetch(`${server.url}/trpc/workspaces.create`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', origin: server.url },
      body: JSON.stringify({ name: 'Legit' }),
    });
    expect(sameSite.status).toBe(200);
  });

  it('delivers the change feed to the typed client over server-sent events', async () => {
    const client = createSwitchboardClient({ url: server.url, token: ownerToken });
    const received: { kind: string; action: string }[] = [];
    let onStarted: () => void = () => undefined;
    const started = new Promise<void>((resolve) => {
      onStarted = resolve;
    });
    const subscription = client.changes.subscribe.subscribe(
      { workspaceId },
      {
        onStarted: () => onStarted(),
        onData: (event) => {
          received.push({ kind: event.kind, action: event.action });
        },
      },
    );
    try {
      await started;
      const workspace = await client.workspaces.byId.query({ workspaceId });
      await client.workspaces.rename.mutate({
        workspaceId,
        name: 'Acme Renamed',
        version: workspace.version,
      });
      const deadline = Date.now() + 5_000;
      while (!received.some((event) => event.kind === 'workspace') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(received).toContainEqual(expect.objectContaining({ kind: 'workspace' }));
    } finally {
      subscription.unsubscribe();
    }
  });
});
