// Test-only helpers for the accounts router tests.
import { type Core, requireMember, type Role, setupFirstOwner } from '@switchboard/core';
import { TRPCError } from '@trpc/server';
import { expect } from 'vitest';
import { type Authentication, createInnerContext, memoryCookieJar } from '../src/context.ts';
import { fieldErrorsOf } from '../src/errors.ts';
import { appRouter } from '../src/router.ts';
import { createCallerFactory } from '../src/trpc.ts';

const createCaller = createCallerFactory(appRouter);

/** A password that passes validation and is obviously fake. */
export const PASSWORD = 'correct horse battery';

/** A caller as `auth` (or anonymous), with a cookie jar to inspect. */
export function callerFor(core: Core, auth: Authentication | null = null, clientAddress = 'local') {
  const cookies = memoryCookieJar();
  return { caller: createCaller(createInnerContext({ core, auth, cookies, clientAddress })), cookies };
}

/** Authentication as a user by token, the way the server builds it. */
export const asUser = (userId: string): Authentication => ({ userId, via: 'token', tokenId: 'pat_test' });

/** Runs setup through core: owner, workspace and the owner's caller. */
export async function setupWorkspace(core: Core) {
  const result = await setupFirstOwner(core, {
    email: 'owner@example.test',
    password: PASSWORD,
    workspaceName: 'Acme',
  });
  return { ...result, owner: callerFor(core, asUser(result.user.id)).caller };
}

let counter = 0;

/** A new user with their own workspace (a stranger to others), as a caller. */
export async function strangerCaller(core: Core) {
  counter += 1;
  const userId = `usr_router${counter}${Math.random().toString(36).slice(2, 8)}`;
  const now = new Date().toISOString();
  await core.db
    .insertInto('users')
    .values({
      id: userId,
      email: `${userId}@example.test`,
      name: 'Stranger',
      password_hash: 'unused',
      created_at: now,
      updated_at: now,
    })
    .execute();
  const { caller } = callerFor(core, asUser(userId));
  const workspace = await caller.workspaces.create({ name: 'Elsewhere' });
  return { userId, email: `${userId}@example.test`, caller, workspace };
}

/** A user invited to `workspaceId` with `role` by the owner, who accepted; returns their caller and member id. */
export async function memberCaller(
  core: Core,
  owner: ReturnType<typeof callerFor>['caller'],
  workspaceId: string,
  role: Role,
) {
  const user = await strangerCaller(core);
  const invitation = await owner.members.invite({ workspaceId, email: user.email, role });
  await user.caller.members.accept({ invitationId: invitation.id });
  const membership = await requireMember(core.db, user.userId, workspaceId);
  return { ...user, memberId: membership.memberId };
}

/** The TRPCError a call rejects with, after checking its code. */
export async function expectTRPCError(
  promise: Promise<unknown>,
  code: TRPCError['code'],
): Promise<TRPCError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TRPCError);
  expect((error as TRPCError).code).toBe(code);
  return error as TRPCError;
}

/** The field names a BAD_REQUEST names, as the error formatter would send them. */
export async function expectFieldErrors(promise: Promise<unknown>): Promise<string[]> {
  const error = await expectTRPCError(promise, 'BAD_REQUEST');
  return Object.keys(fieldErrorsOf(error) ?? {}).sort();
}
