import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandFor, executableKind, PNPM_VERSION, pnpmCommand } from '../src/pnpm-command.mjs';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-runner-'));

/** Writes an executable file named `pnpm` (no extension: its kind must come from its content). */
function pnpmFile(content: string | Buffer): string {
  const folder = mkdtempSync(join(dir, 'bin-'));
  const path = join(folder, 'pnpm');
  writeFileSync(path, content);
  chmodSync(path, 0o755);
  return path;
}

describe('executableKind', () => {
  it('recognises a native binary by its header, whatever its name (pnpm 12 installs one called `pnpm`)', () => {
    // This Node is itself a native executable.
    expect(executableKind(process.execPath)).toBe('native');
    expect(executableKind(pnpmFile(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0])))).toBe('native');
    expect(executableKind(pnpmFile(Buffer.from([0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1])))).toBe('native');
    expect(executableKind(pnpmFile(Buffer.from('MZ\x90\x00\x03\x00')))).toBe('native');
  });

  it('recognises JavaScript: a node shebang, or text without one (earlier pnpm releases)', () => {
    expect(executableKind(pnpmFile("#!/usr/bin/env node\nrequire('./pnpm.cjs');\n"))).toBe('node-script');
    expect(executableKind(pnpmFile('#!/usr/local/bin/node --no-warnings\nconsole.log(1);\n'))).toBe(
      'node-script',
    );
    expect(executableKind(pnpmFile("'use strict';\nmodule.exports = 1;\n"))).toBe('node-script');
  });

  it('leaves a script for another interpreter to that interpreter', () => {
    expect(executableKind(pnpmFile('#!/bin/sh\nexec /opt/pnpm/pnpm "$@"\n'))).toBe('other-script');
  });
});

describe('pnpmCommand', () => {
  const agent = `pnpm/${PNPM_VERSION} npm/? node/? linux x64`;

  it('runs the pnpm that is running us, directly when it is a native binary', () => {
    const native = pnpmFile(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]));
    expect(pnpmCommand({ npm_config_user_agent: agent, npm_execpath: native })).toEqual({
      bin: native,
      args: [],
    });
  });

  it('runs it through Node when it is JavaScript', () => {
    const script = pnpmFile('#!/usr/bin/env node\n');
    expect(pnpmCommand({ npm_config_user_agent: agent, npm_execpath: script })).toEqual({
      bin: process.execPath,
      args: [script],
    });
    expect(commandFor(script, '/opt/node/bin/node')).toEqual({ bin: '/opt/node/bin/node', args: [script] });
  });

  it('fetches the pinned pnpm through npx under npm, another pnpm version, or a missing executable', () => {
    const npx = { bin: 'npx', args: ['-y', `pnpm@${PNPM_VERSION}`] };
    expect(
      pnpmCommand({
        npm_config_user_agent: 'npm/11.19.1 node/v20.20.2 linux x64 workspaces/false',
        npm_execpath: pnpmFile('#!/usr/bin/env node\n'),
      }),
    ).toEqual(npx);
    expect(
      pnpmCommand({ npm_config_user_agent: 'pnpm/9.15.0 npm/? node/v20.20.2 linux x64', npm_execpath: 'x' }),
    ).toEqual(npx);
    // A version that merely starts with the pinned one is another version.
    expect(
      pnpmCommand({ npm_config_user_agent: `pnpm/${PNPM_VERSION}0 npm/?`, npm_execpath: process.execPath }),
    ).toEqual(npx);
    expect(pnpmCommand({ npm_config_user_agent: agent, npm_execpath: join(dir, 'gone', 'pnpm') })).toEqual(
      npx,
    );
    expect(pnpmCommand({})).toEqual(npx);
  });
});
