import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // One private PostgreSQL cluster per run: every storage test runs on SQLite and on PostgreSQL.
    globalSetup: ['@switchboard/test-utils/postgres-global-setup'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
