// Test-only helpers shared by the accounts tests (not exported from the package).
import { expect } from 'vitest';
import { type Membership, requireMember, type Role } from '../access.ts';
import type { Core } from '../core.ts';
import { CoreError } from '../errors.ts';
import { setupFirstOwner } from './auth.ts';
import { acceptInvitation, inviteMember } from './members.ts';
import { createWorkspace } from './workspaces.ts';

/** A member as tests use one: an actor for services (`kind: 'user'`) that also knows its workspace. */
export type TestMember = Membership & { kind: 'user' };

async function testMember(core: Core, userId: string, workspaceId: string): Promise<TestMember> {
  return { kind: 'user', ...(await requireMember(core.db, userId, workspaceId)) };
}

/** A password that passes validation and is obviously fake. */
export const PASSWORD = 'correct horse battery';

/** Runs setup and returns the owner's membership and the setup token. */
export async function setupOwner(core: Core, email = 'owner@example.test') {
  const result = await setupFirstOwner(core, {
    email,
    password: PASSWORD,
    name: 'Olive Owner',
    workspaceName: 'Acme',
  });
  const owner = await testMember(core, result.user.id, result.workspace.id);
  return { ...result, owner };
}

let userCounter = 0;

/** A second user (invited and accepted is slow; direct rows are enough here), optionally added with a role. */
export async function createUser(core: Core, options: { email?: string; name?: string } = {}) {
  userCounter += 1;
  const email = options.email ?? `user${userCounter}-${Date.now()}@example.test`;
  const now = new Date().toISOString();
  const id = `usr_test${userCounter}${Math.random().toString(36).slice(2, 8)}`;
  // The hash is irrelevant for these users: they never log in by password.
  await core.db
    .insertInto('users')
    .values({
      id,
      email,
      name: options.name ?? 'Test User',
      password_hash: 'scrypt$1$1$1$AA$AA',
      created_at: now,
      updated_at: now,
    })
    .execute();
  return { id, email };
}

/** A user who joined the admin's workspace with `role`: invited by the admin, then accepted. */
export async function memberWithRole(core: Core, admin: TestMember, role: Role): Promise<TestMember> {
  const user = await createUser(core);
  const invitation = await inviteMember(core, admin, {
    workspaceId: admin.workspaceId,
    email: user.email,
    role,
  });
  await acceptInvitation(core, { kind: 'user', userId: user.id }, { invitationId: invitation.id });
  return testMember(core, user.id, admin.workspaceId);
}

/** A user with their own workspace (a stranger to the admin's). */
export async function stranger(core: Core): Promise<TestMember & { email: string }> {
  const user = await createUser(core);
  const workspace = await createWorkspace(core, { kind: 'user', userId: user.id }, { name: 'Elsewhere' });
  return { ...(await testMember(core, user.id, workspace.id)), email: user.email };
}

/** Asserts that `promise` rejects with a CoreError of `code` and returns it. */
export async function expectCoreError(
  promise: Promise<unknown>,
  code: CoreError['code'],
): Promise<CoreError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(CoreError);
  expect((error as CoreError).code).toBe(code);
  return error as CoreError;
}

/** Number of rows in a table. */
export async function countRows(
  core: Core,
  table:
    | 'users'
    | 'audit_log'
    | 'workspaces'
    | 'workspace_members'
    | 'personal_access_tokens'
    | 'api_keys'
    | 'invitations'
    | 'sessions',
) {
  const row = await core.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<string | number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Every stored row of every accounts table, as one string: to assert a secret is nowhere. */
export async function everything(core: Core): Promise<string> {
  const tables = [
    'users',
    'sessions',
    'personal_access_tokens',
    'workspaces',
    'workspace_members',
    'invitations',
    'api_keys',
    'audit_log',
  ] as const;
  const dumps = await Promise.all(tables.map((table) => core.db.selectFrom(table).selectAll().execute()));
  return JSON.stringify(dumps);
}
