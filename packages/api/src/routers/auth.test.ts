import {
  authenticatePersonalToken,
  authenticateSession,
  type Core,
  configureLoginThrottle,
} from '@switchboard/core';
import { ENGINES } from '@switchboard/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCore } from '@switchboard/core/testing';
import {
  asUser,
  callerFor,
  expectFieldErrors,
  expectTRPCError,
  PASSWORD,
  strangerCaller,
} from '../../test/accounts-support.ts';
import { SESSION_COOKIE } from './auth.ts';

describe.each(ENGINES)('auth and tokens routers on %s', (engine) => {
  let core: Core;
  let ownerId: string;
  beforeAll(async () => {
    core = await createTestCore(engine);
  });
  afterAll(() => core.close());

  it('sets up the first owner once: session cookie set, token returned once, bad input named', async () => {
    const { caller, cookies } = callerFor(core);
    expect(await caller.auth.status()).toEqual({ needsSetup: true });
    expect(
      await expectFieldErrors(caller.auth.setup({ email: 'nope', password: 'short', workspaceName: '' })),
    ).toEqual(['email', 'password', 'workspaceName']);
    expect(
      await expectFieldErrors(
        caller.auth.setup({ email: 5 as unknown as string, password: PASSWORD, workspaceName: 'Acme' }),
      ),
    ).toEqual(['email']);
    expect(await caller.auth.status()).toEqual({ needsSetup: true });

    const result = await caller.auth.setup({
      email: 'owner@example.test',
      password: PASSWORD,
      workspaceName: 'Acme',
    });
    ownerId = result.user.id;
    expect(result.token).toMatch(/^sbp_/);
    expect(await authenticatePersonalToken(core, result.token)).toMatchObject({ userId: ownerId });
    const sessionToken = cookies.values.get(SESSION_COOKIE) ?? '';
    expect(await authenticateSession(core, sessionToken)).toMatchObject({ userId: ownerId });
    expect(JSON.stringify(result)).not.toContain(sessionToken);
    expect(await caller.auth.status()).toEqual({ needsSetup: false });

    await expectTRPCError(
      callerFor(core).caller.auth.setup({
        email: 'late@example.test',
        password: PASSWORD,
        workspaceName: 'Late',
      }),
      'CONFLICT',
    );
  });

  it('logs in into the cookie only, answers wrong and unknown alike, and logs out', async () => {
    const { caller, cookies } = callerFor(core, null, '10.1.1.1');
    const result = await caller.auth.login({ email: 'owner@example.test', password: PASSWORD });
    expect(result.user.id).toBe(ownerId);
    const sessionToken = cookies.values.get(SESSION_COOKIE) ?? '';
    expect(sessionToken).toMatch(/^sbs_/);
    expect(JSON.stringify(result)).not.toContain(sessionToken);

    const wrong = await expectTRPCError(
      caller.auth.login({ email: 'owner@example.test', password: 'wrong horse battery' }),
      'UNAUTHORIZED',
    );
    const unknown = await expectTRPCError(
      caller.auth.login({ email: 'ghost@example.test', password: 'wrong horse battery' }),
      'UNAUTHORIZED',
    );
    expect(unknown.message).toBe(wrong.message);

    const session = await authenticateSession(core, sessionToken);
    if (!session) throw new Error('session expected');
    const signedIn = callerFor(core, { userId: ownerId, via: 'session', sessionId: session.sessionId });
    signedIn.cookies.set(SESSION_COOKIE, sessionToken, { maxAgeSeconds: 60 });
    await signedIn.caller.auth.logout();
    expect(signedIn.cookies.values.has(SESSION_COOKIE)).toBe(false);
    expect(await authenticateSession(core, sessionToken)).toBeNull();
  });

  it('slows down repeated failed logins from the client address in the context', async () => {
    const requested: number[] = [];
    configureLoginThrottle(core, {
      freeFailures: 1,
      baseDelayMs: 40,
      maxDelayMs: 80,
      sleep: async (ms) => void requested.push(ms),
    });
    try {
      const { caller } = callerFor(core, null, '198.51.100.20');
      for (let i = 0; i < 4; i++) {
        await expectTRPCError(
          caller.auth.login({ email: `guess${i}@example.test`, password: 'wrong horse battery' }),
          'UNAUTHORIZED',
        );
      }
      expect(requested).toEqual([40, 80]);
      // Another address is not slowed down by this one's failures.
      requested.length = 0;
      await callerFor(core, null, '198.51.100.21').caller.auth.login({
        email: 'owner@example.test',
        password: PASSWORD,
      });
      expect(requested).toEqual([]);
    } finally {
      configureLoginThrottle(core, {});
    }
  });

  it('requires a user for me, logout and tokens', async () => {
    const { caller } = callerFor(core);
    await expectTRPCError(caller.auth.me(), 'UNAUTHORIZED');
    await expectTRPCError(caller.auth.logout(), 'UNAUTHORIZED');
    await expectTRPCError(caller.tokens.list(), 'UNAUTHORIZED');
    await expectTRPCError(caller.tokens.create({ name: 'x' }), 'UNAUTHORIZED');
    await expectTRPCError(caller.tokens.revoke({ tokenId: 'pat_x' }), 'UNAUTHORIZED');
  });

  it('shows the signed-in user and their workspaces', async () => {
    const me = await callerFor(core, asUser(ownerId)).caller.auth.me();
    expect(me.user.email).toBe('owner@example.test');
    expect(me.scopes).toBeNull();
    expect(me.workspaces).toEqual([
      {
        workspace: expect.objectContaining({ name: 'Acme' }),
        role: 'owner',
        permissions: ['read', 'api-keys.own', 'manage'],
      },
    ]);
  });

  it("shows a scoped token's scopes, and per workspace only what both they and the role allow", async () => {
    const { caller } = callerFor(core, asUser(ownerId));
    const scoped = await caller.tokens.create({ name: 'keys only', scopes: ['api-keys.own'] });
    const signedIn = await authenticatePersonalToken(core, scoped.token);
    if (!signedIn) throw new Error('token refused');
    const me = await callerFor(core, { ...signedIn, via: 'token' }).caller.auth.me();
    expect(me.scopes).toEqual(['api-keys.own']);
    expect(me.workspaces.map((entry) => [entry.role, entry.permissions])).toEqual([
      ['owner', ['read', 'api-keys.own']],
    ]);
  });

  it('creates, lists and revokes personal access tokens, each user only their own', async () => {
    const { caller } = callerFor(core, asUser(ownerId));
    const created = await caller.tokens.create({ name: 'vscode' });
    expect(created.token).toMatch(/^sbp_/);
    const listed = await caller.tokens.list();
    expect(listed.map((token) => token.id)).toContain(created.view.id);
    expect(JSON.stringify(listed)).not.toContain(created.token);

    const stranger = await strangerCaller(core);
    await expectTRPCError(stranger.caller.tokens.revoke({ tokenId: created.view.id }), 'NOT_FOUND');
    expect((await stranger.caller.tokens.list()).map((token) => token.id)).not.toContain(created.view.id);

    const revoked = await caller.tokens.revoke({ tokenId: created.view.id });
    expect(revoked.revokedAt).not.toBeNull();
    expect(await authenticatePersonalToken(core, created.token)).toBeNull();

    expect(await expectFieldErrors(caller.tokens.create({ name: ' ' }))).toEqual(['name']);
    expect(await expectFieldErrors(caller.tokens.revoke({ tokenId: '' }))).toEqual(['tokenId']);
  });
});
