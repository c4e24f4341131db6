import { defineConfig } from 'vitest/config';

// `vscode` exists only inside the extension host: unit tests get a small fake of it.
export default defineConfig({
  resolve: { alias: { vscode: new URL('./test/support/fake-vscode.ts', import.meta.url).pathname } },
  test: { include: ['test/**/*.test.ts'], passWithNoTests: false },
});
