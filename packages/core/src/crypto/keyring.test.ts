import { ENGINES } from '@switchboard/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCore } from '../../test/test-core.ts';
import type { Core } from '../core.ts';
import { newId, nowIso } from '../ids.ts';
import { generateMasterKey } from './master-key.ts';

describe.each(ENGINES)('keyring on %s', (engine) => {
  let core: Core;
  const workspaceId = newId('ws');

  beforeAll(async () => {
    core = await createTestCore(engine);
    const now = nowIso();
    await core.db
      .insertInto('workspaces')
      .values({ id: workspaceId, name: 'Acme', created_at: now, updated_at: now })
      .execute();
  });
  afterAll(() => core.close());

  it('round-trips a secret bound to its record id', async () => {
    const sealed = await core.keyring.encrypt(workspaceId, 'crd_1', 'sk-test-not-a-real-key-0001');
    expect(sealed).not.toContain('sk-test');
    await expect(core.keyring.decrypt(workspaceId, 'crd_1', sealed)).resolves.toBe(
      'sk-test-not-a-real-key-0001',
    );
    await expect(core.keyring.decrypt(workspaceId, 'crd_2', sealed)).rejects.toThrow();
  });

  it('re-wraps every data key under a new master key and still decrypts', async () => {
    const sealed = await core.keyring.encrypt(workspaceId, 'crd_3', 'sk-test-rotate-me-0002');
    const next = generateMasterKey();
    await expect(core.keyring.exclusive((db) => core.keyring.rewrapAll(db, next))).resolves.toBe(1);
    const row = await core.db.selectFrom('workspace_keys').selectAll().executeTakeFirstOrThrow();
    expect(row.master_key_id).toBe(next.id);
    core.keyring.forget();
    await expect(core.keyring.decrypt(workspaceId, 'crd_3', sealed)).resolves.toBe('sk-test-rotate-me-0002');
  });
});
