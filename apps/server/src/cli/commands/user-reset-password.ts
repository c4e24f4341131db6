import { resetPassword } from '@switchboard/core';
import { type Command, requireOption, UsageError } from '../command.ts';

export const userResetPasswordCommand: Command = {
  path: ['user', 'reset-password'],
  summary: "Set a user's password and end their sessions",
  usage: 'switchboard user reset-password --email E (--password P | --password-stdin)',
  options: { email: { type: 'string' }, password: { type: 'string' }, 'password-stdin': { type: 'boolean' } },
  async run({ values, io, core }) {
    const email = requireOption(values, 'email');
    let password = typeof values.password === 'string' ? values.password : undefined;
    if (values['password-stdin']) password = (await io.readStdin()).replace(/\r?\n$/, '');
    if (!password) throw new UsageError('--password or --password-stdin is required');
    await resetPassword(await core(), email, password);
    io.stderr(`Password of ${email} changed; their sessions were ended.\n`);
  },
};
