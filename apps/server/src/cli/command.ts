import { parseArgs } from 'node:util';
import type { Core } from '@switchboard/core';

/** Where a command reads and writes; tests pass their own. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  readStdin: () => Promise<string>;
}

/** Wrong usage: printed with the command's help, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Option spec in node:util parseArgs form. */
export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/** One CLI command (`token create`, `migrate`...). */
export interface Command {
  /** Words that select it: `['token', 'create']`. */
  path: string[];
  summary: string;
  usage: string;
  options: OptionSpec;
  /** Whether it needs core (the database); `--help` never opens it. */
  run(context: {
    values: Record<string, string | boolean | undefined>;
    positionals: string[];
    io: CliIo;
    core: () => Promise<Core>;
  }): Promise<void>;
}

/** Parses a command's arguments strictly: unknown options are usage errors. */
export function parseCommandArgs(command: Command, args: string[]) {
  try {
    return parseArgs({
      args,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** A required string option, or a usage error naming it. */
export function requireOption(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`--${name} is required`);
  return value;
}
