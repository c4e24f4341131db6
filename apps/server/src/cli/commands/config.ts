import { readFileSync, writeFileSync } from 'node:fs';
import { applyConfig, exportConfig, parseConfigFile } from '@switchboard/core';
import { type Command, requireOption, UsageError } from '../command.ts';

export const applyCommand: Command = {
  path: ['apply'],
  summary: 'Make a workspace match a YAML configuration file (secrets by environment-variable reference)',
  usage: 'switchboard apply FILE [--dry-run]',
  options: { 'dry-run': { type: 'boolean' } },
  async run({ values, positionals, io, core }) {
    const file = positionals[0];
    if (!file) throw new UsageError('FILE is required');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    const parsed = parseConfigFile(text);
    if ('problems' in parsed) {
      io.stderr(`${file} is not valid; nothing was applied:\n`);
      for (const problem of parsed.problems) io.stderr(`  ${problem.path}: ${problem.message}\n`);
      throw new UsageError(`${parsed.problems.length} problem(s) in ${file}`);
    }
    const dryRun = values['dry-run'] === true;
    const result = await applyConfig(await core(), { kind: 'system', label: 'cli' }, parsed.config, io.env, {
      dryRun,
    });
    if ('problems' in result) {
      io.stderr(`${file} cannot be applied; nothing was changed:\n`);
      for (const problem of result.problems) io.stderr(`  ${problem.path}: ${problem.message}\n`);
      throw new UsageError(`${result.problems.length} problem(s) in ${file}`);
    }
    if (result.changes.length === 0)
      io.stdout('Nothing to change: the workspace already matches the file.\n');
    for (const change of result.changes) io.stdout(`${dryRun ? 'would ' : ''}${change.description}\n`);
  },
};

export const exportCommand: Command = {
  path: ['export'],
  summary:
    "Write a workspace's configuration as YAML (no secrets: they become environment-variable references)",
  usage: 'switchboard export --workspace W [--output FILE]',
  options: { workspace: { type: 'string' }, output: { type: 'string' } },
  async run({ values, io, core }) {
    const workspace = requireOption(values, 'workspace');
    const yaml = await exportConfig(await core(), workspace);
    if (typeof values.output === 'string') writeFileSync(values.output, yaml, { mode: 0o644 });
    else io.stdout(yaml);
  },
};
