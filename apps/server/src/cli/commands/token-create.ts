import { createPersonalAccessToken, findUserByEmail, notFound } from '@switchboard/core';
import { type Command, requireOption } from '../command.ts';

export const tokenCreateCommand: Command = {
  path: ['token', 'create'],
  summary: 'Create a personal access token (sbp_…) for a user; prints it once',
  usage:
    'switchboard token create --email E --name N [--scopes read,api-keys.own,manage] [--expires-in-days D]',
  options: {
    email: { type: 'string' },
    name: { type: 'string' },
    scopes: { type: 'string' },
    'expires-in-days': { type: 'string' },
  },
  async run({ values, io, core }) {
    const email = requireOption(values, 'email');
    const name = requireOption(values, 'name');
    // Checked by core with the API's rules; an unknown scope or a bad number is refused there.
    const scopes =
      typeof values.scopes === 'string' ? values.scopes.split(',').map((scope) => scope.trim()) : undefined;
    const days = values['expires-in-days'];
    const expiresInDays = typeof days === 'string' ? Number(days) : undefined;
    const opened = await core();
    const user = await findUserByEmail(opened, email);
    if (!user) throw notFound(`User ${email}`);
    // A token belongs to its user: the CLI acts as that user, as a signed-in user would.
    const { token } = await createPersonalAccessToken(
      opened,
      { kind: 'user', userId: user.id },
      {
        name,
        scopes,
        expiresInDays,
      },
    );
    io.stdout(`${token}\n`);
  },
};
