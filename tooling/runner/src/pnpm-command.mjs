// How `tooling/run.mjs` calls the pinned pnpm. Plain JavaScript with no dependencies: it runs
// before anything is installed.
import { closeSync, existsSync, openSync, readSync } from 'node:fs';

/** The pnpm version the repository pins (`packageManager` in package.json). */
export const PNPM_VERSION = '12.4.2';

/**
 * @typedef {object} Command
 * @property {string} bin executable to spawn
 * @property {string[]} args arguments that come before the pnpm arguments
 */

// Executable formats a kernel runs directly: ELF, Mach-O (both byte orders, 32 and 64 bit, universal), PE.
const NATIVE_MAGIC = [
  [0x7f, 0x45, 0x4c, 0x46],
  [0xfe, 0xed, 0xfa, 0xce],
  [0xfe, 0xed, 0xfa, 0xcf],
  [0xce, 0xfa, 0xed, 0xfe],
  [0xcf, 0xfa, 0xed, 0xfe],
  [0xca, 0xfe, 0xba, 0xbe],
  [0x4d, 0x5a],
];

/**
 * The first bytes of a file (fewer when it is shorter).
 * @param {string} path
 */
function readHead(path, length = 512) {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    return buffer.subarray(0, readSync(fd, buffer, 0, length, 0));
  } finally {
    closeSync(fd);
  }
}

/**
 * What kind of executable a file is, from its content rather than its name: pnpm 12's npm
 * package installs a native binary called `pnpm`, earlier ones a JavaScript file of the same name.
 * @param {string} path
 * @returns {'native' | 'node-script' | 'other-script'}
 */
export function executableKind(path) {
  const head = readHead(path);
  if (head[0] === 0x23 && head[1] === 0x21) {
    // `#!`: a script for the interpreter its first line names.
    const lineEnd = head.indexOf(0x0a);
    const shebang = head.subarray(0, lineEnd === -1 ? head.length : lineEnd).toString('utf8');
    return /\bnode\b/.test(shebang) ? 'node-script' : 'other-script';
  }
  if (NATIVE_MAGIC.some((magic) => magic.every((byte, index) => head[index] === byte))) return 'native';
  // Text without a shebang is a JavaScript file (`pnpm.cjs`); a NUL byte means some other binary.
  return head.includes(0) ? 'native' : 'node-script';
}

/**
 * How to run the given executable: JavaScript through this Node, anything else directly.
 * @param {string} path
 * @param {string} nodePath
 * @returns {Command}
 */
export function commandFor(path, nodePath = process.execPath) {
  return executableKind(path) === 'node-script' ? { bin: nodePath, args: [path] } : { bin: path, args: [] };
}

/**
 * The pinned pnpm: the one running this script when it is that version (`pnpm start`,
 * `npx pnpm@… test`), else fetched through npx (`npm start`, another pnpm).
 * @param {NodeJS.ProcessEnv} env
 * @returns {Command}
 */
export function pnpmCommand(env = process.env) {
  const agent = env.npm_config_user_agent ?? '';
  const execPath = env.npm_execpath;
  if (agent.startsWith(`pnpm/${PNPM_VERSION} `) && execPath && existsSync(execPath))
    return commandFor(execPath);
  return { bin: 'npx', args: ['-y', `pnpm@${PNPM_VERSION}`] };
}
