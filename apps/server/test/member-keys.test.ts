// Issue 13, defects 7 and 14 end to end: an editor makes an API key for their app through the
// typed client and uses it on /v1; once they are removed from the workspace, the key stops working.
import { createPersonalAccessToken, createUser } from '@switchboard/core';
import { createSwitchboardClient } from '@switchboard/client';
import { ENGINES } from '@switchboard/test-utils';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayFixture, startGatewayFixture } from './gateway-fixture.ts';

describe.each(ENGINES)('a member leaving, on %s', (engine) => {
  let fixture: GatewayFixture;
  beforeAll(async () => {
    fixture = await startGatewayFixture(engine);
  });
  afterAll(() => fixture.close());

  it("revokes the API keys they created, so /v1 refuses them at once, and keeps everyone else's", async () => {
    const { server, workspaceId } = fixture;
    const developer = await createUser(
      server.core,
      { kind: 'system', label: 'cli' },
      { email: 'dev@example.test', name: 'Dev', password: 'a long enough password' },
    );
    const { token } = await createPersonalAccessToken(
      server.core,
      { kind: 'user', userId: developer.id },
      { name: 'laptop' },
    );
    const owner = createSwitchboardClient({ url: server.url, token: fixture.ownerToken });
    const dev = createSwitchboardClient({ url: server.url, token });

    const invitation = await owner.members.invite.mutate({
      workspaceId,
      email: 'dev@example.test',
      role: 'editor',
    });
    const { member } = await dev.members.accept.mutate({ invitationId: invitation.id });
    const { key } = await dev.apiKeys.create.mutate({ workspaceId, name: 'my app' });
    const app = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: key, maxRetries: 0, timeout: 10_000 });
    const ask = () =>
      app.chat.completions.create({ model: 'default', messages: [{ role: 'user', content: 'hi' }] });
    expect((await ask()).choices[0]?.message.content).toContain('answered');

    expect(await owner.members.remove.mutate({ workspaceId, memberId: member.id })).toEqual({
      revokedApiKeys: 1,
    });
    await expect(ask()).rejects.toMatchObject({ status: 401 });
    // The workspace's own key, made by the owner, still works.
    const other = await fixture.openai.chat.completions.create({
      model: 'default',
      messages: [{ role: 'user', content: 'still here' }],
    });
    expect(other.choices[0]?.message.content).toContain('answered');
  });
});
