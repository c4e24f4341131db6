// Bundles the extension into one CommonJS file for VS Code's extension host (Node).
// `--production` minifies and drops the source map: that is what goes into the .vsix.
// `--outfile=PATH` writes elsewhere than dist/extension.js (the e2e tests package in a copy).
import { build } from 'esbuild';

const production = process.argv.includes('--production');
const outfile = process.argv.find((arg) => arg.startsWith('--outfile='))?.slice('--outfile='.length);
await build({
  entryPoints: [new URL('../src/extension.ts', import.meta.url).pathname],
  outfile: outfile ?? 'dist/extension.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // Provided by the extension host.
  external: ['vscode'],
  minify: production,
  sourcemap: production ? false : 'linked',
  legalComments: 'none',
  logLevel: 'warning',
});
