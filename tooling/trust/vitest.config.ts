import { defineConfig } from 'vitest/config';

// The trust suites (issue 13): each suite records what it tried through `recordTrust`, and the
// global teardown prints one summary table after the run, so CI's log keeps it. The test script
// builds the console first when it is stale (a no-op after the console's own tests built it), so
// the secret-leak suite always searches it; one private PostgreSQL cluster serves every suite.
export default defineConfig({
  test: {
    include: ['suites/**/*.test.ts'],
    globalSetup: ['@switchboard/test-utils/postgres-global-setup', './src/global-setup.ts'],
    // One suite at a time: each starts its own server processes and drives them hard (fuzzing,
    // attacks, load); side by side on a small machine they would starve each other and measure
    // each other's noise.
    fileParallelism: false,
    // Suites start servers, databases and bounded attacks: slow on a busy machine, bounded all the same.
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
