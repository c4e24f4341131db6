import { configureLoginThrottle, setupFirstOwner } from '@switchboard/core';
import { createSwitchboardClient } from '@switchboard/client';
import { ENGINES } from '@switchboard/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { startTestServer, trpcFailure as failure } from './helpers.ts';

const EMAIL = 'script@example.test';
const PASSWORD = 'correct horse battery';

describe.each(ENGINES)(
  'a personal access token from email and password, through the typed client on %s',
  (engine) => {
    let server: RunningServer;

    beforeAll(async () => {
      server = await startTestServer(engine);
      await setupFirstOwner(server.core, { email: EMAIL, password: PASSWORD, workspaceName: 'Scripts' });
    });
    afterAll(() => server.stop());

    it('returns a named token with an expiry once, which then signs the client in', async () => {
      const anonymous = createSwitchboardClient({ url: server.url });
      const created = await anonymous.auth.createToken.mutate({
        email: EMAIL,
        password: PASSWORD,
        name: 'my editor',
        expiresInDays: 30,
      });
      expect(created.token).toMatch(/^sbp_[0-9a-z]{40}$/);
      expect(created.view.name).toBe('my editor');
      const days = (Date.parse(created.view.expiresAt ?? '') - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(29.9);
      expect(days).toBeLessThanOrEqual(30);

      const client = createSwitchboardClient({ url: server.url, token: created.token });
      expect((await client.auth.me.query()).user.email).toBe(EMAIL);
      const listed = await client.tokens.list.query();
      expect(listed.find((token) => token.id === created.view.id)).toMatchObject({
        name: 'my editor',
        expiresAt: created.view.expiresAt,
      });
      expect(JSON.stringify(listed)).not.toContain(created.token);
    });

    it("tells a read-only token's client its scopes and what it may do in each workspace", async () => {
      const anonymous = createSwitchboardClient({ url: server.url });
      const created = await anonymous.auth.createToken.mutate({
        email: EMAIL,
        password: PASSWORD,
        name: 'read only',
        scopes: ['read'],
      });
      const me = await createSwitchboardClient({ url: server.url, token: created.token }).auth.me.query();
      expect(me.scopes).toEqual(['read']);
      expect(me.workspaces.map((entry) => [entry.role, entry.permissions])).toEqual([['owner', ['read']]]);
    });

    it('expires after 90 days unless told otherwise, and an expired token no longer signs in', async () => {
      const anonymous = createSwitchboardClient({ url: server.url });
      const created = await anonymous.auth.createToken.mutate({
        email: EMAIL,
        password: PASSWORD,
        name: 'ci',
      });
      const days = (Date.parse(created.view.expiresAt ?? '') - Date.now()) / 86_400_000;
      expect(Math.round(days)).toBe(90);
      await server.core.db
        .updateTable('personal_access_tokens')
        .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
        .where('id', '=', created.view.id)
        .execute();
      const expired = createSwitchboardClient({ url: server.url, token: created.token });
      expect((await failure(expired.auth.me.query())).code).toBe('UNAUTHORIZED');
    });

    it('goes through the login throttle, and a wrong password creates nothing', async () => {
      const throttle = configureLoginThrottle(server.core, { freeFailures: 0, sleep: async () => undefined });
      const anonymous = createSwitchboardClient({ url: server.url });
      const before = (await server.core.db.selectFrom('personal_access_tokens').select('id').execute())
        .length;
      const refused = await failure(
        anonymous.auth.createToken.mutate({ email: EMAIL, password: 'a wrong guess', name: 'stolen' }),
      );
      expect(refused.code).toBe('UNAUTHORIZED');
      expect(throttle.delayFor([`email:${EMAIL}`])).toBeGreaterThan(0);
      const after = (await server.core.db.selectFrom('personal_access_tokens').select('id').execute()).length;
      expect(after).toBe(before);
      configureLoginThrottle(server.core, {});
    });

    it('names the bad field and checks no password when the name or the expiry is wrong', async () => {
      const throttle = configureLoginThrottle(server.core, { freeFailures: 0 });
      const anonymous = createSwitchboardClient({ url: server.url });
      const badName = await failure(
        anonymous.auth.createToken.mutate({ email: EMAIL, password: 'a wrong guess', name: '  ' }),
      );
      expect(badName).toMatchObject({
        code: 'BAD_REQUEST',
        fieldErrors: { name: ['Token name is required'] },
      });
      const badExpiry = await failure(
        anonymous.auth.createToken.mutate({ email: EMAIL, password: PASSWORD, name: 'x', expiresInDays: 0 }),
      );
      expect(badExpiry.code).toBe('BAD_REQUEST');
      expect(badExpiry.fieldErrors).toHaveProperty('expiresInDays');
      expect(throttle.delayFor([`email:${EMAIL}`])).toBe(0);
      configureLoginThrottle(server.core, {});
    });
  },
);
