import { mkdirSync } from 'node:fs';
import { migrateHandle, openDatabase } from '@switchboard/core';
import { readEnv } from '../../env.ts';
import { databaseConfig } from '../../server.ts';
import type { Command } from '../command.ts';

export const migrateCommand: Command = {
  path: ['migrate'],
  summary: 'Run pending database migrations (the server also runs them on start)',
  usage: 'switchboard migrate',
  options: {},
  async run({ io }) {
    // No core here: core would migrate on open, and this command exists to report what it applied.
    const env = readEnv(io.env);
    if (!env.databaseUrl) mkdirSync(env.dataDir, { recursive: true, mode: 0o700 });
    const database = openDatabase(databaseConfig(env));
    try {
      const applied = await migrateHandle(database);
      io.stdout(applied.length ? `Applied: ${applied.join(', ')}\n` : 'Database is up to date.\n');
    } finally {
      await database.close();
    }
  },
};
