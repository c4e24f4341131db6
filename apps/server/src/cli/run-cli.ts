import { type Core, CoreError, FileModeError, MasterKeyError, startChangeFeed } from '@switchboard/core';
import { EnvError, readEnv } from '../env.ts';
import { openCore } from '../server.ts';
import { type CliIo, type Command, parseCommandArgs, UsageError } from './command.ts';
import { apiKeyCreateCommand } from './commands/api-key-create.ts';
import { applyCommand, exportCommand } from './commands/config.ts';
import { migrateCommand } from './commands/migrate.ts';
import { rotateMasterKeyCommand } from './commands/rotate-master-key.ts';
import { setupCommand } from './commands/setup.ts';
import { tokenCreateCommand } from './commands/token-create.ts';
import { userCreateCommand } from './commands/user-create.ts';
import { userResetPasswordCommand } from './commands/user-reset-password.ts';

/** Every command, in the order `--help` lists them. */
export const COMMANDS: Command[] = [
  setupCommand,
  tokenCreateCommand,
  apiKeyCreateCommand,
  userCreateCommand,
  userResetPasswordCommand,
  rotateMasterKeyCommand,
  migrateCommand,
  applyCommand,
  exportCommand,
];

function overview(): string {
  const width = Math.max(...COMMANDS.map((command) => command.path.join(' ').length));
  const lines = COMMANDS.map((command) => `  ${command.path.join(' ').padEnd(width)}  ${command.summary}`);
  return `Usage: switchboard <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun \`switchboard <command> --help\` for a command's options. Configuration comes from the same environment variables as the server (see README).\n`;
}

function findCommand(argv: string[]): { command: Command; rest: string[] } | undefined {
  for (const command of COMMANDS) {
    if (command.path.every((word, index) => argv[index] === word)) {
      return { command, rest: argv.slice(command.path.length) };
    }
  }
  return undefined;
}

/** Runs the CLI in-process and returns the exit code: 0 done, 1 failed, 2 wrong usage. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.stdout(overview());
    return argv.length === 0 ? 2 : 0;
  }
  const found = findCommand(argv);
  if (!found) {
    io.stderr(`switchboard: unknown command "${argv.join(' ')}"\n\n${overview()}`);
    return 2;
  }
  const { command, rest } = found;
  let opened: Core | undefined;
  let stopChangeFeed: (() => Promise<void>) | undefined;
  try {
    const { values, positionals } = parseCommandArgs(command, rest);
    if (values.help) {
      io.stdout(`${command.summary}\n\nUsage: ${command.usage}\n`);
      return 0;
    }
    await command.run({
      values,
      positionals,
      io,
      core: async () => {
        if (!opened) {
          opened = await openCore(readEnv(io.env));
          // A running server hears this command's changes (NOTIFY, or SQLite's change log).
          stopChangeFeed = await startChangeFeed(opened);
        }
        return opened;
      },
    });
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`switchboard ${command.path.join(' ')}: ${error.message}\nUsage: ${command.usage}\n`);
      return 2;
    }
    if (
      error instanceof CoreError ||
      error instanceof EnvError ||
      error instanceof MasterKeyError ||
      error instanceof FileModeError
    ) {
      io.stderr(`switchboard ${command.path.join(' ')}: ${error.message}\n`);
      return 1;
    }
    io.stderr(
      `switchboard ${command.path.join(' ')}: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  } finally {
    await stopChangeFeed?.();
    await opened?.close();
  }
}
