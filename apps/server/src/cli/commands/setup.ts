import { setupFirstOwner } from '@switchboard/core';
import { type Command, requireOption } from '../command.ts';

export const setupCommand: Command = {
  path: ['setup'],
  summary:
    'Create the owner and the first workspace (only when no user exists); prints a personal access token',
  usage: 'switchboard setup --email E --password P --workspace W [--name NAME]',
  options: {
    email: { type: 'string' },
    password: { type: 'string' },
    workspace: { type: 'string' },
    name: { type: 'string' },
  },
  async run({ values, io, core }) {
    const email = requireOption(values, 'email');
    const password = requireOption(values, 'password');
    const workspaceName = requireOption(values, 'workspace');
    const result = await setupFirstOwner(await core(), {
      email,
      password,
      workspaceName,
      ...(typeof values.name === 'string' ? { name: values.name } : {}),
    });
    io.stderr(
      `Created ${result.user.email} as owner of workspace "${result.workspace.name}" (${result.workspace.id}).\n`,
    );
    io.stderr('Personal access token (shown once; keep it safe):\n');
    io.stdout(`${result.token}\n`);
  },
};
