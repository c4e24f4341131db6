import type { Core } from '@switchboard/core';
import { ENGINES } from '@switchboard/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCore } from '@switchboard/core/testing';
import {
  expectFieldErrors,
  expectTRPCError,
  memberCaller,
  setupWorkspace,
  strangerCaller,
} from '../../test/accounts-support.ts';

describe.each(ENGINES)('the responses router on %s', (engine) => {
  let core: Core;
  let owner: Awaited<ReturnType<typeof setupWorkspace>>['owner'];
  let workspaceId: string;
  beforeAll(async () => {
    core = await createTestCore(engine);
    const setup = await setupWorkspace(core);
    owner = setup.owner;
    workspaceId = setup.workspace.id;
  });
  afterAll(() => core.close());

  it('keeps responses 30 days by default; an admin changes it, with an audit entry', async () => {
    expect(await owner.responses.retention({ workspaceId })).toEqual({ days: 30 });
    expect(await owner.responses.setRetention({ workspaceId, days: 7 })).toEqual({ days: 7 });
    expect(await owner.responses.retention({ workspaceId })).toEqual({ days: 7 });
    const audit = await owner.audit.list({ workspaceId });
    expect(JSON.stringify(audit)).toContain('workspace.response-retention');
  });

  it('lets members read it but not change it, and hides it from strangers', async () => {
    const member = await memberCaller(core, owner, workspaceId, 'member');
    expect(await member.caller.responses.retention({ workspaceId })).toHaveProperty('days');
    await expectTRPCError(member.caller.responses.setRetention({ workspaceId, days: 1 }), 'FORBIDDEN');
    const stranger = await strangerCaller(core);
    await expectTRPCError(stranger.caller.responses.retention({ workspaceId }), 'NOT_FOUND');
  });

  it('refuses a retention that is not a whole number of days from 0 to 3650, naming the field', async () => {
    expect(await expectFieldErrors(owner.responses.setRetention({ workspaceId, days: -1 }))).toEqual([
      'days',
    ]);
    expect(await expectFieldErrors(owner.responses.setRetention({ workspaceId, days: 1.5 }))).toEqual([
      'days',
    ]);
    expect(await expectFieldErrors(owner.responses.setRetention({ workspaceId, days: 5000 }))).toEqual([
      'days',
    ]);
  });
});
