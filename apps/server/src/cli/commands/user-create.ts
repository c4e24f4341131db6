import { createUser } from '@switchboard/core';
import { type Command, requireOption } from '../command.ts';
import { OPERATOR, readPassword } from './operator.ts';

export const userCreateCommand: Command = {
  path: ['user', 'create'],
  summary: 'Create an account; the user signs in and accepts the invitations waiting for their email',
  usage: 'switchboard user create --email E --name N (--password P | --password-stdin)',
  options: {
    email: { type: 'string' },
    name: { type: 'string' },
    password: { type: 'string' },
    'password-stdin': { type: 'boolean' },
  },
  async run({ values, io, core }) {
    const email = requireOption(values, 'email');
    const name = requireOption(values, 'name');
    const password = await readPassword(values, io);
    const user = await createUser(await core(), OPERATOR, { email, name, password });
    io.stderr(`Created ${user.email} (${user.id}); they sign in and accept their invitations.\n`);
  },
};
