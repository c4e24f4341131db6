import type { Actor } from '@switchboard/core';
import { type CliIo, UsageError } from '../command.ts';

/** Who the CLI acts as when no user is named: the server's operator, audited as `via: cli`. */
export const OPERATOR: Actor = { kind: 'system', label: 'cli' };

/** The password from `--password`, or from stdin with `--password-stdin` (so it stays out of shell history). */
export async function readPassword(values: Record<string, unknown>, io: CliIo): Promise<string> {
  let password = typeof values.password === 'string' ? values.password : undefined;
  if (values['password-stdin']) password = (await io.readStdin()).replace(/\r?\n$/, '');
  if (!password) throw new UsageError('--password or --password-stdin is required');
  return password;
}
