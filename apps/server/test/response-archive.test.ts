import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Core, createCore, type ResponseToSave, setupFirstOwner } from '@switchboard/core';
import { createAllAdapters } from '@switchboard/providers';
import { freshDatabaseTarget } from '@switchboard/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResponseArchive } from '../src/gateway/responses/response-archive.ts';
import { createLogger } from '../src/log.ts';
import { TEST_MASTER_KEY } from './helpers.ts';

describe('the response archive', () => {
  let core: Core;
  let workspaceId: string;
  const warnings: string[] = [];
  let archive: ResponseArchive;

  beforeAll(async () => {
    core = await createCore({
      database: await freshDatabaseTarget('sqlite'),
      dataDir: mkdtempSync(join(tmpdir(), 'switchboard-archive-')),
      masterKey: { env: TEST_MASTER_KEY },
      providers: createAllAdapters(),
    });
    const setup = await setupFirstOwner(core, {
      email: 'archive@example.test',
      password: 'long enough pass',
      workspaceName: 'Archive',
    });
    workspaceId = setup.workspace.id;
    archive = new ResponseArchive(
      core,
      createLogger('warn', (line) => warnings.push(line)),
    );
  });
  afterAll(async () => {
    await archive.close();
    await core.close();
  });

  const response = (id: string): ResponseToSave => ({
    workspaceId,
    apiKeyId: null,
    userId: null,
    id,
    body: { id, object: 'response', output: [] },
    inputItems: [{ role: 'user', content: 'Hi' }],
    outputItems: [],
    createdAt: new Date(),
  });

  it('saves the responses of one turn together, and a response that cannot be stored loses only itself', async () => {
    archive.save(response('resp_first'));
    await archive.settle();
    // One turn: two new responses, and one whose id is already stored (a provider repeating an id).
    archive.save(response('resp_second'));
    archive.save(response('resp_first'));
    archive.save(response('resp_third'));
    expect(await archive.find(workspaceId, 'resp_second')).toBeDefined();
    expect(await archive.find(workspaceId, 'resp_third')).toBeDefined();
    expect(warnings.filter((line) => line.includes('storing a response failed'))).toHaveLength(1);
  });
});
