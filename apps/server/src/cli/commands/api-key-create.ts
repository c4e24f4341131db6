import { createApiKey, findWorkspace, notFound } from '@switchboard/core';
import { type Command, requireOption } from '../command.ts';
import { OPERATOR } from './operator.ts';

export const apiKeyCreateCommand: Command = {
  path: ['api-key', 'create'],
  summary: 'Create a workspace API key (sbk_…) for the /v1 gateway; prints it once',
  usage: 'switchboard api-key create --workspace W --name N   (W: workspace name or id)',
  options: { workspace: { type: 'string' }, name: { type: 'string' } },
  async run({ values, io, core }) {
    const workspaceName = requireOption(values, 'workspace');
    const name = requireOption(values, 'name');
    const opened = await core();
    const workspace = await findWorkspace(opened, workspaceName);
    if (!workspace) throw notFound(`Workspace ${workspaceName}`);
    const { key } = await createApiKey(opened, OPERATOR, { workspaceId: workspace.id, name });
    io.stdout(`${key}\n`);
  },
};
