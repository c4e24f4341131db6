import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds the console once when its sources changed; every test then drives the built app.
    globalSetup: ['test/global-setup.ts'],
    // One browser at a time: the flows are long and the machine is shared.
    fileParallelism: false,
    testTimeout: 150_000,
    hookTimeout: 120_000,
  },
});
