import { createSwitchboardClient, type SwitchboardClient } from '@switchboard/client';
import { createPersonalAccessToken } from '@switchboard/core';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessibilityProblems,
  type ConsoleHarness,
  createAccount,
  signIn,
  signInAsNewMember,
  startConsoleHarness,
} from './harness.ts';

// Taking back an invitation: an owner invites, revokes after confirmation, and the invitee's
// link then finds nothing; a revoke made elsewhere shows live; an editor sees no pending
// invitations and no Revoke. Real server on SQLite, Debian's Chromium.

const OWNER = { email: 'revoke-owner@example.test', password: 'a long enough password' };
const INVITEE = { email: 'revoked-invitee@example.test', password: 'another long password' };
const EDITOR = { email: 'revoke-editor@example.test', password: 'a third long password' };

/** A typed client acting as a user the operator created (a personal access token). */
async function clientFor(harness: ConsoleHarness, userId: string): Promise<SwitchboardClient> {
  const { token } = await createPersonalAccessToken(
    harness.server.core,
    { kind: 'user', userId },
    { name: 'test' },
  );
  return createSwitchboardClient({ url: harness.server.url, token });
}

describe('revoking an invitation in the console', () => {
  let harness: ConsoleHarness;
  let owner: SwitchboardClient;
  let workspaceId: string;
  let context: BrowserContext;
  let page: Page;
  let inviteeId = '';
  let link = '';
  const membersPath = () => `/w/${workspaceId}/members`;

  beforeAll(async () => {
    harness = await startConsoleHarness();
    const setup = await createSwitchboardClient({ url: harness.server.url }).auth.setup.mutate({
      ...OWNER,
      workspaceName: 'Studio',
    });
    workspaceId = setup.workspace.id;
    owner = createSwitchboardClient({ url: harness.server.url, token: setup.token });
    // Accounts come from the operator (decision 0011).
    inviteeId = await createAccount(harness, INVITEE, 'Rae Revoked');
    ({ context, page } = await harness.newPage());
    await signIn(page, OWNER, membersPath());
  });
  afterAll(async () => {
    await context?.close();
    await harness?.close();
  });

  it('invites, then revokes after a confirmation, with a toast', async () => {
    await page.getByText('No pending invitations').waitFor();
    await page.getByLabel('Email').fill(INVITEE.email);
    await page.getByLabel('Role', { exact: true }).selectOption('editor');
    await page.getByRole('button', { name: 'Invite' }).click();
    await page.getByText(`Invitation for ${INVITEE.email} created`).waitFor();
    link = await page.getByLabel(`Invitation link for ${INVITEE.email}`).inputValue();
    expect(link).toMatch(/\/invite\/inv_/);

    const row = page.locator(`[data-invitation="${INVITEE.email}"]`);
    await row.getByRole('button', { name: `Revoke invitation for ${INVITEE.email}` }).click();
    const confirm = page.getByRole('alertdialog', { name: `Revoke the invitation for ${INVITEE.email}?` });
    await confirm.getByText('Its link stops working at once').waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await harness.screenshot(page, '60-invitation-revoke-confirm');
    // Cancel changes nothing.
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    expect((await owner.members.invitations.query({ workspaceId })).map((item) => item.email)).toEqual([
      INVITEE.email,
    ]);

    await row.getByRole('button', { name: `Revoke invitation for ${INVITEE.email}` }).click();
    await confirm.getByRole('button', { name: 'Revoke invitation' }).click();
    await page.getByText(`Invitation for ${INVITEE.email} revoked`).waitFor();
    await row.waitFor({ state: 'detached' });
    await page.getByText('No pending invitations').waitFor();
    expect(await owner.members.invitations.query({ workspaceId })).toEqual([]);
    const audit = await owner.audit.list.query({ workspaceId, action: 'member.invitation_revoke' });
    expect(audit.entries).toHaveLength(1);
    expect(await accessibilityProblems(page)).toEqual([]);
    await harness.screenshot(page, '61-invitation-revoked');
  });

  it('shows the invitee that the revoked link no longer works, and the server refuses it', async () => {
    const invitee = await harness.newPage();
    try {
      await invitee.page.goto(link);
      await invitee.page.waitForURL('**/login?next=**');
      await invitee.page.getByLabel('Email').fill(INVITEE.email);
      await invitee.page.getByLabel('Password').fill(INVITEE.password);
      await invitee.page.getByRole('button', { name: 'Sign in' }).click();
      await invitee.page.getByRole('heading', { name: 'Invitation not found' }).waitFor();
      await invitee.page.getByText('it was already used, withdrawn or has expired').waitFor();
      expect(await invitee.page.getByRole('button', { name: 'Accept invitation' }).count()).toBe(0);
      expect(await accessibilityProblems(invitee.page)).toEqual([]);
      await harness.screenshot(invitee.page, '62-invitation-link-revoked');
    } finally {
      await invitee.context.close();
    }
    const asInvitee = await clientFor(harness, inviteeId);
    const invitationId = decodeURIComponent(link.split('/invite/')[1] ?? '');
    await expect(asInvitee.members.accept.mutate({ invitationId })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
      message: expect.stringMatching(/revoked/),
    });
    expect((await owner.members.list.query({ workspaceId })).map((member) => member.email)).not.toContain(
      INVITEE.email,
    );
  });

  it('drops an invitation revoked elsewhere from the open page without a reload', async () => {
    const invitation = await owner.members.invite.mutate({
      workspaceId,
      email: INVITEE.email,
      role: 'member',
    });
    const row = page.locator(`[data-invitation="${INVITEE.email}"]`);
    await row.waitFor();
    await owner.members.revokeInvitation.mutate({ workspaceId, invitationId: invitation.id });
    await row.waitFor({ state: 'detached' });
    await page.getByText('No pending invitations').waitFor();
  });

  it('keeps one change feed open through member changes, so no notice is missed', async () => {
    // A feed restarted on every member change (which reloads the layout's data) missed the
    // notices sent while it reconnected: an invitation made just after an accept never showed.
    const feeds: string[] = [];
    const count = (request: { url(): string }) => {
      if (request.url().includes('/trpc/changes.subscribe')) feeds.push(request.url());
    };
    page.on('request', count);
    try {
      for (const email of ['feed-one@example.test', 'feed-two@example.test']) {
        const invitation = await owner.members.invite.mutate({ workspaceId, email, role: 'member' });
        const row = page.locator(`[data-invitation="${email}"]`);
        await row.waitFor();
        await owner.members.revokeInvitation.mutate({ workspaceId, invitationId: invitation.id });
        await row.waitFor({ state: 'detached' });
      }
      expect(feeds).toEqual([]);
    } finally {
      page.off('request', count);
    }
  });

  it('shows an editor no pending invitations and no Revoke', async () => {
    // One invitation still pending, so there would be something to revoke.
    await owner.members.invite.mutate({ workspaceId, email: INVITEE.email, role: 'member' });
    const editor = await signInAsNewMember(harness, {
      inviter: owner,
      workspaceId,
      account: EDITOR,
      role: 'editor',
      name: 'Eda Editor',
      next: membersPath(),
    });
    try {
      await editor.page.locator(`[data-member="${EDITOR.email}"]`).waitFor();
      await editor.page.getByText('Only owners and admins can invite or change members.').waitFor();
      expect(await editor.page.getByRole('heading', { name: 'Pending invitations' }).count()).toBe(0);
      expect(await editor.page.getByRole('button', { name: /^Revoke/ }).count()).toBe(0);
      expect(await editor.page.locator('[data-invitation]').count()).toBe(0);
    } finally {
      await editor.context.close();
    }
    // The owner still sees it, with its Revoke.
    await page
      .locator(`[data-invitation="${INVITEE.email}"]`)
      .getByRole('button', { name: `Revoke invitation for ${INVITEE.email}` })
      .waitFor();
  });

  it('had no script errors', () => {
    expect(harness.pageErrors).toEqual([]);
  });
});
