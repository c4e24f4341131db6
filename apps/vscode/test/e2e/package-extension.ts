import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const appRoot = new URL('../..', import.meta.url).pathname;
const vsce = join(appRoot, 'node_modules/.bin/vsce');
const VSCE_FLAGS = ['package', '--no-dependencies', '--skip-license', '--allow-missing-repository'];

/**
 * Builds the .vsix as `pnpm package` does (production bundle, then vsce), in a copy of the app
 * under `dir`: the two e2e suites may package at the same time without sharing `dist/`.
 */
export function packageExtension(dir: string): string {
  const stage = join(dir, 'extension');
  mkdirSync(stage, { recursive: true });
  for (const entry of ['package.json', 'package.nls.json', 'README.md', '.vscodeignore', 'media'])
    cpSync(join(appRoot, entry), join(stage, entry), { recursive: true });
  execFileSync(
    process.execPath,
    [join(appRoot, 'scripts/build.mjs'), '--production', `--outfile=${join(stage, 'dist/extension.js')}`],
    { cwd: appRoot, stdio: 'pipe' },
  );
  const vsix = join(dir, 'switchboard.vsix');
  execFileSync(vsce, [...VSCE_FLAGS, '--out', vsix], { cwd: stage, stdio: 'pipe' });
  return vsix;
}

/** Packages a test-only extension folder (plain JavaScript, no build) into `dir`. */
export function packageFolder(folder: string, dir: string, name: string): string {
  const vsix = join(dir, `${name}.vsix`);
  execFileSync(vsce, [...VSCE_FLAGS, '--out', vsix], { cwd: folder, stdio: 'pipe' });
  return vsix;
}
