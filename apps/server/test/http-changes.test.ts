import { setupFirstOwner } from '@switchboard/core';
import { createSwitchboardClient, type SwitchboardClient } from '@switchboard/client';
import { ENGINES } from '@switchboard/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { startTestServer } from './helpers.ts';

/** A change-feed subscription through the typed client, recording what it hears and whether it ended. */
async function subscribe(client: SwitchboardClient, workspaceId: string) {
  const heard: string[] = [];
  let ended = false;
  let onStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => {
    onStarted = resolve;
  });
  const subscription = client.changes.subscribe.subscribe(
    { workspaceId },
    {
      onStarted: () => onStarted(),
      onData: (event) => void heard.push(event.action),
      onComplete: () => {
        ended = true;
      },
      onError: () => {
        ended = true;
      },
    },
  );
  await started;
  return { heard, isEnded: () => ended, stop: () => subscription.unsubscribe() };
}

describe.each(ENGINES)('the change feed of a revoked sign-in, over HTTP on %s', (engine) => {
  let server: RunningServer;
  let owner: SwitchboardClient;
  let workspaceId: string;

  beforeAll(async () => {
    server = await startTestServer(engine);
    const setup = await setupFirstOwner(server.core, {
      email: 'feed@example.test',
      password: 'correct horse battery',
      workspaceName: 'Feed',
    });
    workspaceId = setup.workspace.id;
    owner = createSwitchboardClient({ url: server.url, token: setup.token });
  });
  afterAll(() => server.stop());

  const rename = async (name: string) => {
    const workspace = await owner.workspaces.byId.query({ workspaceId });
    await owner.workspaces.rename.mutate({ workspaceId, name, version: workspace.version });
  };

  it('ends a revoked token feed and passes on nothing after the revocation', async () => {
    const created = await owner.tokens.create.mutate({ name: 'editor' });
    const feed = await subscribe(
      createSwitchboardClient({ url: server.url, token: created.token }),
      workspaceId,
    );
    try {
      await rename('Feed before');
      await expect.poll(() => feed.heard).toContain('workspace.rename');
      await owner.tokens.revoke.mutate({ tokenId: created.view.id });
      await rename('Feed after');
      await expect.poll(() => feed.isEnded()).toBe(true);
      expect(feed.heard).toEqual(['workspace.rename']);
    } finally {
      feed.stop();
    }
  });

  it('ends a quiet feed when its token is revoked, with no other change to carry the news', async () => {
    const created = await owner.tokens.create.mutate({ name: 'quiet' });
    const feed = await subscribe(
      createSwitchboardClient({ url: server.url, token: created.token }),
      workspaceId,
    );
    try {
      await owner.tokens.revoke.mutate({ tokenId: created.view.id });
      await expect.poll(() => feed.isEnded(), { timeout: 10_000 }).toBe(true);
      expect(feed.heard).toEqual([]);
    } finally {
      feed.stop();
    }
  });

  it('keeps the feed of a token that is still valid', async () => {
    const created = await owner.tokens.create.mutate({ name: 'still valid' });
    const feed = await subscribe(
      createSwitchboardClient({ url: server.url, token: created.token }),
      workspaceId,
    );
    try {
      await rename('Feed once');
      await rename('Feed twice');
      await expect.poll(() => feed.heard.length).toBe(2);
      expect(feed.isEnded()).toBe(false);
    } finally {
      feed.stop();
    }
  });

  it('ends a session feed once the session is signed out', async () => {
    const login = await fetch(`${server.url}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'feed@example.test', password: 'correct horse battery' }),
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const session = createSwitchboardClient({
      url: server.url,
      fetch: (input, init) =>
        fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), cookie } }),
    });
    const feed = await subscribe(session, workspaceId);
    try {
      const logout = await fetch(`${server.url}/trpc/auth.logout`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json', origin: server.url },
      });
      expect(logout.status).toBe(200);
      await rename('Feed signed out');
      await expect.poll(() => feed.isEnded()).toBe(true);
      expect(feed.heard).toEqual([]);
    } finally {
      feed.stop();
    }
  });
});
