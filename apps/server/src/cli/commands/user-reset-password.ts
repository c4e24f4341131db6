import { resetPassword } from '@switchboard/core';
import { type Command, requireOption } from '../command.ts';
import { OPERATOR, readPassword } from './operator.ts';

export const userResetPasswordCommand: Command = {
  path: ['user', 'reset-password'],
  summary: "Set a user's password, end their sessions and revoke their personal access tokens",
  usage: 'switchboard user reset-password --email E (--password P | --password-stdin)',
  options: { email: { type: 'string' }, password: { type: 'string' }, 'password-stdin': { type: 'boolean' } },
  async run({ values, io, core }) {
    const email = requireOption(values, 'email');
    const password = await readPassword(values, io);
    const { sessionsEnded, tokensRevoked } = await resetPassword(await core(), OPERATOR, { email, password });
    io.stderr(
      `Password of ${email} changed; ${sessionsEnded} session(s) ended and ${tokensRevoked} personal access token(s) revoked.\n`,
    );
  },
};
