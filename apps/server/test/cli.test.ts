import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeUpstream, type FakeUpstream } from '@switchboard/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run-cli.ts';

/** Runs the CLI in-process on a data dir, capturing what it prints. */
function cli(dataDir: string, extraEnv: Record<string, string> = {}, stdin = '') {
  return async (...argv: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, {
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
      env: { SWITCHBOARD_DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...extraEnv },
      readStdin: async () => stdin,
    });
    return { code, stdout, stderr };
  };
}

describe('the switchboard CLI', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-cli-'));
  const run = cli(dataDir);
  let upstream: FakeUpstream;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    upstream.route('GET', '/v1/models', {
      json: { object: 'list', data: [{ id: 'my-model', object: 'model', created: 0, owned_by: 'me' }] },
    });
    upstream.route('POST', '/v1/chat/completions', {
      json: { id: 'x', object: 'chat.completion', created: 0, model: 'my-model', choices: [] },
    });
  });
  afterAll(() => upstream.close());

  it('lists its commands, and explains each one', async () => {
    const help = await run('--help');
    expect(help.code).toBe(0);
    for (const command of [
      'setup',
      'token create',
      'api-key create',
      'user create',
      'user reset-password',
      'rotate-master-key',
      'migrate',
      'apply',
      'export',
    ]) {
      expect(help.stdout).toContain(command);
    }
    const one = await run('api-key', 'create', '--help');
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('--workspace W --name N');
    expect((await run()).code).toBe(2);
    expect((await run('frobnicate')).code).toBe(2);
  });

  it('refuses bad usage with the option named, and exit code 2', async () => {
    const missing = await run('setup', '--email', 'ops@example.test');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--password is required');
    const unknown = await run('setup', '--emial', 'ops@example.test');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/emial/);
  });

  it('sets up once, then creates tokens and API keys, and resets a password', async () => {
    const bad = await run(
      'setup',
      '--email',
      'not-an-email',
      '--password',
      'long enough pw',
      '--workspace',
      'Acme',
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/email/i);

    const setup = await run(
      'setup',
      '--email',
      'ops@example.test',
      '--password',
      'long enough pw',
      '--workspace',
      'Acme',
    );
    expect(setup.code).toBe(0);
    expect(setup.stdout.trim()).toMatch(/^sbp_/);
    const again = await run(
      'setup',
      '--email',
      'other@example.test',
      '--password',
      'long enough pw',
      '--workspace',
      'B',
    );
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already/i);

    const token = await run('token', 'create', '--email', 'ops@example.test', '--name', 'laptop');
    expect(token.code).toBe(0);
    expect(token.stdout.trim()).toMatch(/^sbp_/);
    const nobody = await run('token', 'create', '--email', 'nobody@example.test', '--name', 'x');
    expect(nobody.code).toBe(1);
    const scoped = await run(
      'token',
      'create',
      '--email',
      'ops@example.test',
      '--name',
      'ro',
      '--scopes',
      'read',
    );
    expect(scoped.code).toBe(0);
    const badScope = await run(
      'token',
      'create',
      '--email',
      'ops@example.test',
      '--name',
      'x',
      '--scopes',
      'root',
    );
    expect(badScope.code).toBe(1);
    expect(badScope.stderr).toContain('root');

    const key = await run('api-key', 'create', '--workspace', 'Acme', '--name', 'ci');
    expect(key.code).toBe(0);
    expect(key.stdout.trim()).toMatch(/^sbk_/);
    const noWorkspace = await run('api-key', 'create', '--workspace', 'Nope', '--name', 'ci');
    expect(noWorkspace.code).toBe(1);
    expect(noWorkspace.stderr).toContain('Nope');

    const reset = await cli(dataDir, {}, 'a brand new password\n')(
      'user',
      'reset-password',
      '--email',
      'ops@example.test',
      '--password-stdin',
    );
    expect(reset.code).toBe(0);
    // The setup token and the two created above.
    expect(reset.stderr).toContain('3 personal access token(s) revoked');
    const short = await run('user', 'reset-password', '--email', 'ops@example.test', '--password', 'short');
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/password/i);
    const long = await cli(dataDir, {}, `${'p'.repeat(5_000)}\n`)(
      'user',
      'reset-password',
      '--email',
      'ops@example.test',
      '--password-stdin',
    );
    expect(long.code).toBe(1);
    expect(long.stderr).toContain('Password must be at most 1024 characters');

    const created = await run(
      'user',
      'create',
      '--email',
      'new@example.test',
      '--name',
      'New',
      '--password',
      'a long password',
    );
    expect(created.code).toBe(0);
    expect(created.stderr).toContain('new@example.test');
    expect(
      (
        await run(
          'user',
          'create',
          '--email',
          'new@example.test',
          '--name',
          'New',
          '--password',
          'a long password',
        )
      ).code,
    ).toBe(1);
  });

  it('applies a configuration file (dry run first), refuses an invalid one whole, and exports without secrets', async () => {
    const file = join(dataDir, 'acme.yaml');
    writeFileSync(
      file,
      `workspace: Acme
providers:
  openai-compatible:
    credentials:
      - name: local
        values: { base_url: "${upstream.url}/v1", api_key: { env: LOCAL_KEY } }
        active: true
    models:
      - { name: my-model, type: llm, credential: local }
defaults:
  llm: openai-compatible/my-model
`,
    );
    const withKey = cli(dataDir, { LOCAL_KEY: 'sk-test-cli-apply-0001' });
    const dry = await withKey('apply', file, '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^would /m);
    const applied = await withKey('apply', file);
    expect(applied.code).toBe(0);
    const again = await withKey('apply', file);
    expect(again.stdout).toContain('Nothing to change');

    const invalid = join(dataDir, 'invalid.yaml');
    writeFileSync(
      invalid,
      'workspace: Acme\nproviders:\n  openai-compatible:\n    credentials:\n      - values: 7\n',
    );
    const refused = await withKey('apply', invalid);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('providers.openai-compatible.credentials[0]');

    const exported = await run('export', '--workspace', 'Acme');
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain('openai-compatible');
    expect(exported.stdout).not.toContain('sk-test-cli-apply-0001');
  });

  it('rotates the master key and migrates', async () => {
    const rotated = await run('rotate-master-key');
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/Re-wrapped \d+ workspace key/);
    const token = await run('token', 'create', '--email', 'ops@example.test', '--name', 'after-rotation');
    expect(token.code).toBe(0);
    const migrated = await run('migrate');
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toContain('up to date');
  });
});
