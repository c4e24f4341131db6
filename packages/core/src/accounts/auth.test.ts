import { sql } from 'kysely';
import { ENGINES } from '@switchboard/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCore } from '../../test/test-core.ts';
import type { Core } from '../core.ts';
import {
  authenticatePersonalToken,
  authenticateSession,
  hasAnyUser,
  login,
  logout,
  setupFirstOwner,
  setupFirstOwnerAndSignIn,
} from './auth.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { createPersonalAccessToken } from './personal-access-tokens.ts';
import { countRows, everything, expectCoreError, PASSWORD, setupOwner } from './test-support.ts';
import { configureLoginThrottle, LoginThrottle } from './throttle.ts';
import { findUserByEmail, getMe, resetPassword } from './users.ts';

describe('password hashing', () => {
  it('stores a self-describing salted scrypt hash and verifies it', async () => {
    const first = await hashPassword(PASSWORD);
    const second = await hashPassword(PASSWORD);
    expect(first).toMatch(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(first).not.toBe(second);
    expect(first).not.toContain(PASSWORD);
    await expect(verifyPassword(PASSWORD, first)).resolves.toBe(true);
    await expect(verifyPassword('wrong horse battery', first)).resolves.toBe(false);
    await expect(verifyPassword(PASSWORD, 'not-a-hash')).resolves.toBe(false);
  });
});

describe('login throttle', () => {
  it('grows the delay per key after the free failures, bounded, and forgets after the window', () => {
    let now = 0;
    const throttle = new LoginThrottle({
      freeFailures: 2,
      baseDelayMs: 100,
      maxDelayMs: 350,
      windowMs: 1000,
      now: () => now,
    });
    const keys = ['email:a@example.test'];
    const delays: number[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      delays.push(throttle.delayFor(keys));
      throttle.recordFailure(keys);
    }
    expect(delays).toEqual([0, 0, 0, 100, 200, 350]);
    now = 5000;
    expect(throttle.delayFor(keys)).toBe(0);
  });

  it('remembers a bounded number of keys', () => {
    const throttle = new LoginThrottle({ freeFailures: 0, maxKeys: 2 });
    for (const key of ['k1', 'k2', 'k3']) throttle.recordFailure([key]);
    expect(throttle.delayFor(['k1'])).toBe(0);
    expect(throttle.delayFor(['k3'])).toBeGreaterThan(0);
  });
});

describe.each(ENGINES)('setup and sign-in on %s', (engine) => {
  let core: Core;
  beforeAll(async () => {
    core = await createTestCore(engine);
  });
  afterAll(() => core.close());

  it('rejects bad setup input naming every field and writes nothing', async () => {
    const error = await expectCoreError(
      setupFirstOwner(core, { email: 'not-an-email', password: 'short', workspaceName: '  ' }),
      'BAD_REQUEST',
    );
    expect(Object.keys(error.fieldErrors ?? {}).sort()).toEqual(['email', 'password', 'workspaceName']);
    expect(await countRows(core, 'users')).toBe(0);
    expect(await countRows(core, 'audit_log')).toBe(0);
    expect(await hasAnyUser(core)).toBe(false);
  });

  it('rolls back setup and its audit rows when a later write fails', async () => {
    await sql`alter table sessions rename to sessions_unavailable`.execute(core.db);
    try {
      await expect(
        setupFirstOwnerAndSignIn(core, {
          email: 'owner@example.test',
          password: PASSWORD,
          workspaceName: 'Acme',
        }),
      ).rejects.toThrow();
    } finally {
      await sql`alter table sessions_unavailable rename to sessions`.execute(core.db);
    }
    expect(await countRows(core, 'users')).toBe(0);
    expect(await countRows(core, 'workspaces')).toBe(0);
    expect(await countRows(core, 'audit_log')).toBe(0);
  });

  it('sets up the first owner once, with a working token, and never stores secrets', async () => {
    const { user, workspace, token, owner } = await setupOwner(core);
    expect(user.email).toBe('owner@example.test');
    expect(user).not.toHaveProperty('password_hash');
    expect(workspace.name).toBe('Acme');
    expect(owner.role).toBe('owner');
    expect(token).toMatch(/^sbp_[0-9a-z]{40}$/);
    expect(await authenticatePersonalToken(core, token)).toMatchObject({ userId: user.id });
    const stored = await everything(core);
    expect(stored).not.toContain(token);
    expect(stored).not.toContain(PASSWORD);
    const actions = (await core.db.selectFrom('audit_log').select('action').execute())
      .map((row) => row.action)
      .sort();
    expect(actions).toEqual(['member.add', 'token.create', 'user.setup', 'workspace.create']);
    expect(await hasAnyUser(core)).toBe(true);

    const again = await expectCoreError(
      setupFirstOwner(core, { email: 'second@example.test', password: PASSWORD, workspaceName: 'Other' }),
      'CONFLICT',
    );
    expect(again.message).toBe('Setup is already done');
    expect(await countRows(core, 'users')).toBe(1);
  });

  it('signs in with the right password and gives the same answer for a wrong password and an unknown email', async () => {
    const session = await login(core, {
      email: 'Owner@Example.test',
      password: PASSWORD,
      clientAddress: '10.0.0.1',
    });
    expect(session.user.email).toBe('owner@example.test');
    expect(session.sessionToken).toMatch(/^sbs_/);
    expect(await authenticateSession(core, session.sessionToken)).toEqual({
      userId: session.user.id,
      sessionId: session.sessionId,
    });
    expect(await everything(core)).not.toContain(session.sessionToken);

    const wrong = await expectCoreError(
      login(core, {
        email: 'owner@example.test',
        password: 'wrong horse battery',
        clientAddress: '10.0.0.2',
      }),
      'UNAUTHORIZED',
    );
    const unknown = await expectCoreError(
      login(core, {
        email: 'nobody@example.test',
        password: 'wrong horse battery',
        clientAddress: '10.0.0.3',
      }),
      'UNAUTHORIZED',
    );
    expect(unknown.message).toBe(wrong.message);
    expect(wrong.message).not.toMatch(/exist|unknown/i);

    await logout(core, session.sessionId);
    expect(await authenticateSession(core, session.sessionToken)).toBeNull();
  });

  it('slows down repeated failures per email and per client address, and clears the email on success', async () => {
    const requested: number[] = [];
    configureLoginThrottle(core, {
      freeFailures: 1,
      baseDelayMs: 50,
      maxDelayMs: 120,
      sleep: async (ms) => void requested.push(ms),
    });
    const attempt = (email: string, password: string, clientAddress: string) =>
      login(core, { email, password, clientAddress }).then(
        () => 'ok',
        () => 'failed',
      );
    for (let i = 0; i < 5; i++) await attempt('owner@example.test', 'wrong horse battery', `192.0.2.${i}`);
    expect(requested).toEqual([50, 100, 120]);

    // Another email from an address with failures is slowed down too.
    requested.length = 0;
    for (let i = 0; i < 4; i++)
      await attempt(`spray${i}@example.test`, 'wrong horse battery', '198.51.100.7');
    expect(requested).toEqual([50, 100]);

    // The right password still works (after the delay), and clears that email's count.
    requested.length = 0;
    expect(await attempt('owner@example.test', PASSWORD, '203.0.113.1')).toBe('ok');
    expect(requested).toEqual([120]);
    requested.length = 0;
    await attempt('owner@example.test', 'wrong horse battery', '203.0.113.2');
    expect(requested).toEqual([]);
    configureLoginThrottle(core, {});
  });

  it('rejects expired and malformed sessions, and refreshes last use at most once a minute', async () => {
    const session = await login(core, {
      email: 'owner@example.test',
      password: PASSWORD,
      clientAddress: 'local',
    });
    const tenMinutesAgo = new Date(Date.now() - 10 * 60_000).toISOString();
    await core.db
      .updateTable('sessions')
      .set({ last_used_at: tenMinutesAgo })
      .where('id', '=', session.sessionId)
      .execute();
    await authenticateSession(core, session.sessionToken);
    const refreshed = await core.db
      .selectFrom('sessions')
      .select('last_used_at')
      .where('id', '=', session.sessionId)
      .executeTakeFirstOrThrow();
    expect(refreshed.last_used_at > tenMinutesAgo).toBe(true);
    const thirtySecondsAgo = new Date(Date.now() - 30_000).toISOString();
    await core.db
      .updateTable('sessions')
      .set({ last_used_at: thirtySecondsAgo })
      .where('id', '=', session.sessionId)
      .execute();
    await authenticateSession(core, session.sessionToken);
    const untouched = await core.db
      .selectFrom('sessions')
      .select('last_used_at')
      .where('id', '=', session.sessionId)
      .executeTakeFirstOrThrow();
    expect(untouched.last_used_at).toBe(thirtySecondsAgo);

    await core.db
      .updateTable('sessions')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('id', '=', session.sessionId)
      .execute();
    expect(await authenticateSession(core, session.sessionToken)).toBeNull();
    expect(await authenticateSession(core, 'sbs_short')).toBeNull();
    expect(await authenticateSession(core, '')).toBeNull();
  });

  // Issue 13, defect 7: a reset ended sessions but left personal access tokens working.
  it('resets a password: sessions end, tokens are revoked, the new password works, the audit names the CLI and no password', async () => {
    const session = await login(core, {
      email: 'owner@example.test',
      password: PASSWORD,
      clientAddress: 'local',
    });
    const owner = await findUserByEmail(core, 'owner@example.test');
    const { token } = await createPersonalAccessToken(
      core,
      { kind: 'user', userId: owner?.id ?? '' },
      { name: 'laptop' },
    );
    const operator = { kind: 'system', label: 'cli' } as const;
    await expectCoreError(
      resetPassword(core, operator, { email: 'owner@example.test', password: 'short' }),
      'BAD_REQUEST',
    );
    await expectCoreError(
      resetPassword(core, operator, { email: 'nobody@example.test', password: 'another long password' }),
      'NOT_FOUND',
    );
    await expectCoreError(
      resetPassword(
        core,
        { kind: 'user', userId: owner?.id ?? '' },
        { email: 'owner@example.test', password: 'another long password' },
      ),
      'FORBIDDEN',
    );
    expect(await authenticatePersonalToken(core, token)).not.toBeNull();
    const result = await resetPassword(core, operator, {
      email: 'owner@example.test',
      password: 'another long password',
    });
    expect(result.sessionsEnded).toBeGreaterThanOrEqual(1);
    expect(result.tokensRevoked).toBeGreaterThanOrEqual(2);
    expect(await authenticateSession(core, session.sessionToken)).toBeNull();
    expect(await authenticatePersonalToken(core, token)).toBeNull();
    await expectCoreError(
      login(core, { email: 'owner@example.test', password: PASSWORD, clientAddress: 'local' }),
      'UNAUTHORIZED',
    );
    await login(core, {
      email: 'owner@example.test',
      password: 'another long password',
      clientAddress: 'local',
    });
    const audit = await core.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'user.password_reset')
      .executeTakeFirstOrThrow();
    expect(audit.actor_user_id).toBeNull();
    expect(JSON.parse(audit.details)).toMatchObject({
      via: 'cli',
      email: 'owner@example.test',
      tokensRevoked: result.tokensRevoked,
    });
    expect(audit.details).not.toContain('another long password');
  });

  it('finds users by email and shows who is signed in with their workspaces', async () => {
    const user = await findUserByEmail(core, ' OWNER@example.test ');
    expect(user?.email).toBe('owner@example.test');
    expect(await findUserByEmail(core, 'nobody@example.test')).toBeNull();
    const me = await getMe(core, { kind: 'user', userId: user?.id ?? '' });
    expect(me.scopes).toBeNull();
    expect(me.workspaces).toEqual([
      {
        workspace: expect.objectContaining({ name: 'Acme' }),
        role: 'owner',
        permissions: ['read', 'api-keys.own', 'manage'],
      },
    ]);
    // A read-only token of the same owner: the scopes, and only what they allow.
    const readOnly = await getMe(core, { kind: 'user', userId: user?.id ?? '', scopes: ['read'] });
    expect(readOnly.scopes).toEqual(['read']);
    expect(readOnly.workspaces.map((entry) => [entry.role, entry.permissions])).toEqual([
      ['owner', ['read']],
    ]);
    await expectCoreError(getMe(core, { kind: 'user', userId: 'usr_missing' }), 'UNAUTHORIZED');
  });
});

describe.each(ENGINES)('concurrent setup on %s', (engine) => {
  let core: Core;
  beforeAll(async () => {
    core = await createTestCore(engine);
  });
  afterAll(() => core.close());

  it('lets exactly one of several simultaneous setups win', async () => {
    const results = await Promise.allSettled(
      [1, 2, 3, 4].map((n) =>
        setupFirstOwner(core, {
          email: `owner${n}@example.test`,
          password: PASSWORD,
          workspaceName: `Acme ${n}`,
        }),
      ),
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    for (const result of results) {
      if (result.status === 'rejected')
        expect(result.reason).toMatchObject({ code: 'CONFLICT', message: 'Setup is already done' });
    }
    expect(await countRows(core, 'users')).toBe(1);
    expect(await countRows(core, 'workspaces')).toBe(1);
  });
});
