import { defineConfig } from 'vitest/config';

// `vscode` exists only inside the extension host: unit tests get a small fake of it.
export default defineConfig({
  resolve: { alias: { vscode: new URL('./test/support/fake-vscode.ts', import.meta.url).pathname } },
  test: {
    include: ['test/**/*.test.ts'],
    passWithNoTests: false,
    // Each test file starts a real server and the e2e file a real VS Code: patience on a busy CI machine.
    hookTimeout: 120_000,
    testTimeout: 60_000,
    expect: { poll: { timeout: 30_000 } },
  },
});
