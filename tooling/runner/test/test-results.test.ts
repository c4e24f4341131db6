import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  countReports,
  failedTests,
  findReports,
  removeReports,
  summarize,
  testedPackageDirs,
} from '../src/test-results.mjs';

/** A repository with two packages that each left a vitest report, and one in node_modules. */
function repository() {
  const root = mkdtempSync(join(tmpdir(), 'switchboard-results-'));
  const report = (dir: string, passed: number, failed: number, runtimeErrors = 0) => {
    mkdirSync(join(root, dir, '.test-results'), { recursive: true });
    const path = join(root, dir, '.test-results', 'vitest.json');
    writeFileSync(
      path,
      JSON.stringify({
        numPassedTests: passed,
        numFailedTests: failed,
        numRuntimeErrorTestSuites: runtimeErrors,
      }),
    );
    return path;
  };
  const core = report('packages/core', 10, 1, 1);
  const client = report('packages/client', 5, 0);
  report('packages/core/node_modules/dep', 99, 99);
  return { root, core, client };
}

describe('the reports `npm test` counts', () => {
  it('are those of the packages whose test script the turbo run starts', () => {
    const dryRun = {
      tasks: [
        { task: 'lint', directory: 'packages/client', command: 'biome lint .' },
        { task: 'test', directory: 'packages/core', command: 'vitest run' },
        { task: 'test', directory: 'tooling/tsconfig', command: '<NONEXISTENT>' },
        { task: 'typecheck', directory: 'packages/core', command: 'tsc -p .' },
      ],
    };
    expect(testedPackageDirs(dryRun, '/repo')).toEqual(['/repo/packages/core']);
  });

  it('are found under each package, never in node_modules, and only for the packages asked', () => {
    const { root, core, client } = repository();
    expect(findReports([join(root, 'packages/core')])).toEqual([core]);
    expect(findReports([join(root, 'packages/core'), join(root, 'packages/client')]).sort()).toEqual(
      [client, core].sort(),
    );
    expect(findReports([join(root, 'packages/missing')])).toEqual([]);
  });

  it('are removed before a run only for the packages it runs, so a filtered run leaves the others', () => {
    const { root, core, client } = repository();
    removeReports([join(root, 'packages/core')]);
    expect(existsSync(core)).toBe(false);
    expect(existsSync(client)).toBe(true);
  });

  it('add up passed tests, and failed tests plus files that could not run', () => {
    const { core, client } = repository();
    expect(countReports([core, client])).toEqual({ passed: 15, failed: 2 });
  });
});

describe('summarize', () => {
  it('passes only when turbo succeeded, nothing failed and something passed', () => {
    expect(summarize(0, { passed: 3, failed: 0 })).toEqual({ line: '3 passed, 0 failed', exitCode: 0 });
    expect(summarize(1, { passed: 3, failed: 2 })).toEqual({ line: '3 passed, 2 failed', exitCode: 1 });
    expect(summarize(0, { passed: 0, failed: 0 })).toEqual({ line: '0 passed, 0 failed', exitCode: 1 });
  });

  it('counts a failed lint, typecheck or crashed runner as one failure', () => {
    expect(summarize(1, { passed: 3, failed: 0 })).toEqual({ line: '3 passed, 1 failed', exitCode: 1 });
  });
});

describe('failedTests', () => {
  it('names each failed test and file that could not run, with the first line of its error', () => {
    const root = mkdtempSync(join(tmpdir(), 'switchboard-failures-'));
    const path = join(root, 'vitest.json');
    writeFileSync(
      path,
      JSON.stringify({
        testResults: [
          {
            name: join(root, 'apps/web/test/usage.test.ts'),
            status: 'failed',
            assertionResults: [
              { fullName: 'usage charts by day', status: 'passed', failureMessages: [] },
              {
                fullName: 'usage shows a key',
                status: 'failed',
                failureMessages: ['\nAssertionError: expected 1 to be 2\n    at usage.test.ts:3:1'],
              },
            ],
          },
          {
            name: join(root, 'apps/web/test/broken.test.ts'),
            status: 'failed',
            message: 'SyntaxError: Unexpected token\nmore',
            assertionResults: [],
          },
          { name: join(root, 'apps/web/test/fine.test.ts'), status: 'passed', assertionResults: [] },
        ],
      }),
    );
    expect(failedTests([path], root)).toEqual([
      'failed: apps/web/test/usage.test.ts > usage shows a key: AssertionError: expected 1 to be 2',
      'failed: apps/web/test/broken.test.ts: SyntaxError: Unexpected token',
    ]);
  });
});
