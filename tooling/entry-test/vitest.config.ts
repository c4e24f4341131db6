import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each test installs and starts or tests through npm and pnpm: slow on a busy machine, bounded all the same.
    testTimeout: 240_000,
    hookTimeout: 120_000,
  },
});
