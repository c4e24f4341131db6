import { rotateMasterKey } from '@switchboard/core';
import type { Command } from '../command.ts';

export const rotateMasterKeyCommand: Command = {
  path: ['rotate-master-key'],
  summary: 'Re-wrap every workspace data key with a new master key, in one transaction, without downtime',
  usage:
    'switchboard rotate-master-key\n  With a key file (default) a new key is generated and becomes master.key; files of keys nothing refers to any more are deleted.\n  Running servers switch over by themselves; a rotation that was stopped is finished by the next one.\n  With SWITCHBOARD_MASTER_KEY, put the new key in SWITCHBOARD_MASTER_KEY_NEW.',
  options: {},
  async run({ io, core }) {
    const result = await rotateMasterKey(await core(), { newKey: io.env.SWITCHBOARD_MASTER_KEY_NEW });
    io.stdout(`Re-wrapped ${result.rewrapped} workspace key(s) with master key ${result.newKeyId}.\n`);
    if (result.retiredKeyIds.length > 0)
      io.stdout(`Deleted the files of master key(s) no longer in use: ${result.retiredKeyIds.join(', ')}.\n`);
    if (result.stillNeededKeyIds.length > 0)
      io.stdout(`Still in use, keep them: ${result.stillNeededKeyIds.join(', ')}.\n`);
    if (result.nextSteps) io.stdout(`${result.nextSteps}\n`);
  },
};
