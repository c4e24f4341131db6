import { createHash } from 'node:crypto';
import { ENGINES } from '@switchboard/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCore } from '../../test/test-core.ts';
import type { ChangeEvent } from '../changes.ts';
import type { Core } from '../core.ts';
import { createApiKey, listApiKeys, revokeApiKey } from './api-keys.ts';
import { removeMember } from './members.ts';
import { authenticateApiKey, authenticatePersonalToken } from './auth.ts';
import {
  createPersonalAccessToken,
  listPersonalAccessTokens,
  revokePersonalAccessToken,
} from './personal-access-tokens.ts';
import {
  countRows,
  createUser,
  everything,
  expectCoreError,
  memberWithRole,
  setupOwner,
  stranger,
  type TestMember,
} from './test-support.ts';

const asUser = (userId: string) => ({ kind: 'user', userId }) as const;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe.each(ENGINES)('personal access tokens on %s', (engine) => {
  let core: Core;
  let userId: string;
  beforeAll(async () => {
    core = await createTestCore(engine);
    userId = (await setupOwner(core)).user.id;
  });
  afterAll(() => core.close());

  it('shows a token once, stores only its hash, and lists it without the secret', async () => {
    const { token, view } = await createPersonalAccessToken(core, asUser(userId), { name: '  laptop  ' });
    expect(token).toMatch(/^sbp_[0-9a-z]{40}$/);
    expect(view).toEqual({
      id: view.id,
      name: 'laptop',
      prefix: `${token.slice(0, 8)}…`,
      createdAt: view.createdAt,
      lastUsedAt: null,
      revokedAt: null,
      expiresAt: null,
      scopes: null,
    });
    const row = await core.db
      .selectFrom('personal_access_tokens')
      .selectAll()
      .where('id', '=', view.id)
      .executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(sha256(token));
    const stored = await everything(core);
    expect(stored).not.toContain(token);
    const listed = JSON.stringify(await listPersonalAccessTokens(core, asUser(userId)));
    expect(listed).toContain(view.id);
    expect(listed).not.toContain(token);
    expect(listed).not.toContain(row.token_hash);
    const audit = await core.db
      .selectFrom('audit_log')
      .selectAll()
      .where('target_id', '=', view.id)
      .executeTakeFirstOrThrow();
    expect(audit.action).toBe('token.create');
    expect(audit.details).not.toContain(token);
  });

  it('authenticates, records last use at most once a minute, and stops working once revoked', async () => {
    const { token, view } = await createPersonalAccessToken(core, asUser(userId), { name: 'ci' });
    expect(await authenticatePersonalToken(core, token)).toEqual({ userId, tokenId: view.id });
    const first = await core.db
      .selectFrom('personal_access_tokens')
      .select('last_used_at')
      .where('id', '=', view.id)
      .executeTakeFirstOrThrow();
    expect(first.last_used_at).not.toBeNull();
    const recent = new Date(Date.now() - 20_000).toISOString();
    await core.db
      .updateTable('personal_access_tokens')
      .set({ last_used_at: recent })
      .where('id', '=', view.id)
      .execute();
    await authenticatePersonalToken(core, token);
    const second = await core.db
      .selectFrom('personal_access_tokens')
      .select('last_used_at')
      .where('id', '=', view.id)
      .executeTakeFirstOrThrow();
    expect(second.last_used_at).toBe(recent);

    const revoked = await revokePersonalAccessToken(core, asUser(userId), { tokenId: view.id });
    expect(revoked.revokedAt).not.toBeNull();
    expect(await authenticatePersonalToken(core, token)).toBeNull();
    // Revoking again changes nothing and writes no second audit row.
    await revokePersonalAccessToken(core, asUser(userId), { tokenId: view.id });
    const revocations = await core.db
      .selectFrom('audit_log')
      .select('id')
      .where('action', '=', 'token.revoke')
      .where('target_id', '=', view.id)
      .execute();
    expect(revocations).toHaveLength(1);
  });

  it('answers null for unknown and malformed tokens', async () => {
    expect(await authenticatePersonalToken(core, `sbp_${'x'.repeat(20)}${'y'.repeat(20)}`)).toBeNull();
    expect(await authenticatePersonalToken(core, 'sbp_short')).toBeNull();
    expect(await authenticatePersonalToken(core, 'Bearer nonsense')).toBeNull();
    // An API key is not a personal access token, even though both are valid secrets.
    const { key } = await createApiKey(
      core,
      { kind: 'system', label: 'cli' },
      { workspaceId: (await setupWorkspaceId(core, userId)) ?? '', name: 'gateway' },
    );
    expect(await authenticatePersonalToken(core, key)).toBeNull();
  });

  it("does not let a user see or revoke someone else's token", async () => {
    const other = await createUser(core);
    const { view } = await createPersonalAccessToken(core, asUser(other.id), { name: 'theirs' });
    await expectCoreError(revokePersonalAccessToken(core, asUser(userId), { tokenId: view.id }), 'NOT_FOUND');
    expect((await listPersonalAccessTokens(core, asUser(userId))).map((token) => token.id)).not.toContain(
      view.id,
    );
  });

  it('rejects a bad name, naming the field, and writes nothing', async () => {
    const before = await countRows(core, 'personal_access_tokens');
    const auditBefore = await countRows(core, 'audit_log');
    const error = await expectCoreError(
      createPersonalAccessToken(core, asUser(userId), { name: '   ' }),
      'BAD_REQUEST',
    );
    expect(error.fieldErrors).toHaveProperty('name');
    await expectCoreError(
      createPersonalAccessToken(core, asUser(userId), { name: 'n'.repeat(101) }),
      'BAD_REQUEST',
    );
    expect(await countRows(core, 'personal_access_tokens')).toBe(before);
    expect(await countRows(core, 'audit_log')).toBe(auditBefore);
  });
});

async function setupWorkspaceId(core: Core, userId: string) {
  const row = await core.db
    .selectFrom('workspace_members')
    .select('workspace_id')
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row?.workspace_id;
}

describe.each(ENGINES)('workspace API keys on %s', (engine) => {
  let core: Core;
  let owner: TestMember;
  const events: ChangeEvent[] = [];
  beforeAll(async () => {
    core = await createTestCore(engine);
    owner = (await setupOwner(core)).owner;
    core.changes.subscribe((event) => events.push(event));
  });
  afterAll(() => core.close());

  it('creates a key for an admin, shows it once, authenticates it to its workspace, and publishes a change', async () => {
    const admin = await memberWithRole(core, owner, 'admin');
    events.length = 0;
    const { key, view } = await createApiKey(
      core,
      { kind: 'user', userId: admin.userId },
      { workspaceId: owner.workspaceId, name: 'production' },
    );
    expect(key).toMatch(/^sbk_[0-9a-z]{40}$/);
    expect(view).toMatchObject({
      workspaceId: owner.workspaceId,
      name: 'production',
      prefix: `${key.slice(0, 8)}…`,
      createdBy: admin.userId,
    });
    expect(events).toEqual([
      expect.objectContaining({
        workspaceId: owner.workspaceId,
        kind: 'api-key',
        id: view.id,
        action: 'api_key.create',
      }),
    ]);
    expect(await authenticateApiKey(core, key)).toEqual({
      workspaceId: owner.workspaceId,
      apiKeyId: view.id,
      name: 'production',
      limits: {
        models: null,
        credentials: {},
        requestsPerMinute: null,
        tokensPerMinute: null,
        monthlyBudget: null,
      },
    });
    expect(await everything(core)).not.toContain(key);
    const listed = JSON.stringify(await listApiKeys(core, owner, { workspaceId: owner.workspaceId }));
    expect(listed).toContain(view.id);
    expect(listed).not.toContain(key);
    expect(listed).not.toContain(sha256(key));
  });

  it('lets the CLI create a key as the system, and refuses unknown workspaces', async () => {
    const { view } = await createApiKey(
      core,
      { kind: 'system', label: 'cli' },
      { workspaceId: owner.workspaceId, name: 'from-cli' },
    );
    expect(view.createdBy).toBe('system:cli');
    const audit = await core.db
      .selectFrom('audit_log')
      .selectAll()
      .where('target_id', '=', view.id)
      .executeTakeFirstOrThrow();
    expect(audit.actor_user_id).toBeNull();
    expect(JSON.parse(audit.details)).toMatchObject({ via: 'cli', name: 'from-cli' });
    await expectCoreError(
      createApiKey(core, { kind: 'system', label: 'cli' }, { workspaceId: 'ws_missing', name: 'nope' }),
      'NOT_FOUND',
    );
  });

  // Issue 13, defect 14: the editor role granted nothing beyond member.
  it('lets editors create keys and revoke their own; members only use models; non-members see nothing', async () => {
    const editor = await memberWithRole(core, owner, 'editor');
    const otherEditor = await memberWithRole(core, owner, 'editor');
    const { key, view } = await createApiKey(core, editor, {
      workspaceId: owner.workspaceId,
      name: 'my app',
    });
    expect(view.createdBy).toBe(editor.userId);
    expect(await authenticateApiKey(core, key)).toMatchObject({ apiKeyId: view.id });
    const admins = await createApiKey(core, owner, { workspaceId: owner.workspaceId, name: 'shared' });
    await expectCoreError(
      revokeApiKey(core, editor, { workspaceId: owner.workspaceId, apiKeyId: admins.view.id }),
      'FORBIDDEN',
    );
    await expectCoreError(
      revokeApiKey(core, otherEditor, { workspaceId: owner.workspaceId, apiKeyId: view.id }),
      'FORBIDDEN',
    );
    const revoked = await revokeApiKey(core, editor, { workspaceId: owner.workspaceId, apiKeyId: view.id });
    expect(revoked.revokedAt).not.toBeNull();
    expect(await authenticateApiKey(core, key)).toBeNull();

    const before = await countRows(core, 'api_keys');
    const member = await memberWithRole(core, owner, 'member');
    await expectCoreError(
      createApiKey(core, member, { workspaceId: owner.workspaceId, name: 'mine' }),
      'FORBIDDEN',
    );
    await expectCoreError(
      revokeApiKey(core, member, { workspaceId: owner.workspaceId, apiKeyId: admins.view.id }),
      'FORBIDDEN',
    );
    const outsider = await stranger(core);
    await expectCoreError(
      createApiKey(core, outsider, { workspaceId: owner.workspaceId, name: 'mine' }),
      'NOT_FOUND',
    );
    expect(await countRows(core, 'api_keys')).toBe(before);
  });

  // Issue 13, defect 7: a removed member's API keys kept working.
  it('revokes the keys a member created when they are removed, with an audit entry each', async () => {
    const leaving = await memberWithRole(core, owner, 'editor');
    const first = await createApiKey(core, leaving, { workspaceId: owner.workspaceId, name: 'script' });
    const second = await createApiKey(core, leaving, { workspaceId: owner.workspaceId, name: 'bot' });
    const kept = await createApiKey(core, owner, { workspaceId: owner.workspaceId, name: 'owner app' });
    events.length = 0;
    const result = await removeMember(core, owner, {
      workspaceId: owner.workspaceId,
      memberId: leaving.memberId,
    });
    expect(result).toEqual({ revokedApiKeys: 2 });
    expect(await authenticateApiKey(core, first.key)).toBeNull();
    expect(await authenticateApiKey(core, second.key)).toBeNull();
    expect(await authenticateApiKey(core, kept.key)).not.toBeNull();
    // The gateway's key cache drops on these notices.
    expect(
      events
        .filter((event) => event.kind === 'api-key')
        .map((event) => event.id)
        .sort(),
    ).toEqual([first.view.id, second.view.id].sort());
    const audit = await core.db
      .selectFrom('audit_log')
      .select(['target_id', 'details'])
      .where('action', '=', 'api_key.revoke')
      .where('target_id', 'in', [first.view.id, second.view.id])
      .execute();
    expect(audit).toHaveLength(2);
    expect(JSON.parse(audit[0]?.details ?? '{}')).toMatchObject({
      reason: 'creator removed from the workspace',
    });
  });

  it('revokes a key so the gateway rejects it; another workspace cannot touch it', async () => {
    const { key, view } = await createApiKey(
      core,
      { kind: 'user', userId: owner.userId },
      { workspaceId: owner.workspaceId, name: 'temporary' },
    );
    const outsider = await stranger(core);
    await expectCoreError(
      revokeApiKey(core, outsider, { workspaceId: owner.workspaceId, apiKeyId: view.id }),
      'NOT_FOUND',
    );
    const editor = await memberWithRole(core, owner, 'editor');
    await expectCoreError(
      revokeApiKey(core, editor, { workspaceId: owner.workspaceId, apiKeyId: view.id }),
      'FORBIDDEN',
    );
    const revoked = await revokeApiKey(core, owner, { workspaceId: owner.workspaceId, apiKeyId: view.id });
    expect(revoked.revokedAt).not.toBeNull();
    expect(await authenticateApiKey(core, key)).toBeNull();
  });

  it('records last use at most once a minute', async () => {
    const { key, view } = await createApiKey(
      core,
      { kind: 'user', userId: owner.userId },
      { workspaceId: owner.workspaceId, name: 'busy' },
    );
    await authenticateApiKey(core, key);
    const used = await core.db
      .selectFrom('api_keys')
      .select('last_used_at')
      .where('id', '=', view.id)
      .executeTakeFirstOrThrow();
    expect(used.last_used_at).not.toBeNull();
    const recent = new Date(Date.now() - 5_000).toISOString();
    await core.db.updateTable('api_keys').set({ last_used_at: recent }).where('id', '=', view.id).execute();
    for (let i = 0; i < 3; i++) await authenticateApiKey(core, key);
    const after = await core.db
      .selectFrom('api_keys')
      .select('last_used_at')
      .where('id', '=', view.id)
      .executeTakeFirstOrThrow();
    expect(after.last_used_at).toBe(recent);
  });

  it('rejects a bad name, naming the field', async () => {
    const error = await expectCoreError(
      createApiKey(
        core,
        { kind: 'user', userId: owner.userId },
        { workspaceId: owner.workspaceId, name: '' },
      ),
      'BAD_REQUEST',
    );
    expect(error.fieldErrors).toHaveProperty('name');
  });
});
