import { ENGINES } from '@switchboard/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCore } from '../../test/test-core.ts';
import { setupFirstOwner } from '../accounts/index.ts';
import type { Core } from '../core.ts';
import {
  findResponse,
  findResponseItem,
  purgeExpiredResponses,
  type ResponseToSave,
  saveResponse,
  saveResponses,
} from './responses.ts';

const DAY_MS = 86_400_000;

describe.each(ENGINES)('stored responses on %s', (engine) => {
  let core: Core;
  let workspaceId: string;
  beforeAll(async () => {
    core = await createTestCore(engine);
    const setup = await setupFirstOwner(core, {
      email: 'owner@example.test',
      password: 'a long enough password',
      workspaceName: 'Acme',
    });
    workspaceId = setup.workspace.id;
  });
  afterAll(() => core.close());

  const response = (id: string, createdAt: Date): ResponseToSave => ({
    workspaceId,
    apiKeyId: null,
    userId: null,
    id,
    body: { id, object: 'response', output: [{ id: `msg_${id}`, type: 'message' }] },
    inputItems: [{ role: 'user', content: 'Hi' }],
    outputItems: [{ id: `msg_${id}`, item: { id: `msg_${id}`, type: 'message' } }],
    createdAt,
  });

  it('finds a saved response and its items until it expires, then purges both', async () => {
    const now = new Date();
    expect(await saveResponse(core, response('resp_fresh', now))).toBe(true);
    expect(await saveResponse(core, response('resp_old', new Date(now.getTime() - 31 * DAY_MS)))).toBe(true);

    expect((await findResponse(core, workspaceId, 'resp_fresh'))?.inputItems).toEqual([
      { role: 'user', content: 'Hi' },
    ]);
    expect(await findResponseItem(core, workspaceId, 'msg_resp_fresh')).toEqual({
      id: 'msg_resp_fresh',
      type: 'message',
    });
    // Expired: unreadable before the purge ran.
    expect(await findResponse(core, workspaceId, 'resp_old')).toBeUndefined();
    expect(await findResponseItem(core, workspaceId, 'msg_resp_old')).toBeUndefined();

    expect(await purgeExpiredResponses(core, now)).toBe(1);
    expect(await core.db.selectFrom('stored_response_items').select('id').execute()).toEqual([
      { id: 'msg_resp_fresh' },
    ]);
    expect(await findResponse(core, workspaceId, 'resp_fresh')).toBeDefined();
  });

  it('saves responses together, all or none', async () => {
    const now = new Date();
    expect(await saveResponses(core, [response('resp_one', now), response('resp_two', now)])).toBe(2);
    expect(await findResponse(core, workspaceId, 'resp_two')).toBeDefined();
    // A response already stored fails the batch: the one beside it is not stored either.
    await expect(
      saveResponses(core, [response('resp_three', now), response('resp_one', now)]),
    ).rejects.toThrow();
    expect(await findResponse(core, workspaceId, 'resp_three')).toBeUndefined();
  });

  it('never shows one workspace the responses of another', async () => {
    await saveResponse(core, response('resp_mine', new Date()));
    expect(await findResponse(core, 'ws_other', 'resp_mine')).toBeUndefined();
    expect(await findResponseItem(core, 'ws_other', 'msg_resp_mine')).toBeUndefined();
  });
});
