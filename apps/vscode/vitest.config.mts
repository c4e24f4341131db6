import { defineConfig } from 'vitest/config';

// `vscode` exists only inside the extension host: unit tests get a small fake of it.
export default defineConfig({
  resolve: { alias: { vscode: new URL('./test/support/fake-vscode.ts', import.meta.url).pathname } },
  // Each test file starts a real server; the e2e file starts VS Code: generous hooks on a busy CI machine.
  test: { include: ['test/**/*.test.ts'], passWithNoTests: false, hookTimeout: 120_000, testTimeout: 60_000 },
});
