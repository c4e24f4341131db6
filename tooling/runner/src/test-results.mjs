// How `npm test` counts: each package's vitest run writes a JSON report under `.test-results/`,
// and only the packages of this run count, so a run limited with `--filter` neither removes nor
// counts another run's reports.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * @typedef {object} TestCounts
 * @property {number} passed tests that passed
 * @property {number} failed tests that failed, plus test files that could not run
 */

/**
 * The folders of the packages whose `test` script this turbo run would start.
 * @param {{ tasks: { task: string; directory: string; command: string }[] }} dryRun output of `turbo run … --dry=json`
 * @param {string} root the repository root
 * @returns {string[]}
 */
export function testedPackageDirs(dryRun, root) {
  return dryRun.tasks
    .filter((task) => task.task === 'test' && task.command !== '<NONEXISTENT>')
    .map((task) => join(root, task.directory));
}

/**
 * Every JSON report in a `.test-results` folder under the given package folders.
 * @param {string[]} dirs
 * @returns {string[]}
 */
export function findReports(dirs) {
  /** @type {string[]} */
  const found = [];
  /** @param {string} dir */
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name === 'node_modules' || entry.name.startsWith('.git')) continue;
      const path = join(dir, entry.name);
      if (entry.name === '.test-results') {
        for (const file of readdirSync(path)) if (file.endsWith('.json')) found.push(join(path, file));
      } else walk(path);
    }
  };
  for (const dir of dirs) if (existsSync(dir)) walk(dir);
  return found;
}

/**
 * Removes the reports a previous run left, so a package that fails to start is not counted as passing.
 * @param {string[]} dirs
 */
export function removeReports(dirs) {
  for (const file of findReports(dirs)) rmSync(file);
}

/**
 * Sums vitest JSON reports.
 * @param {string[]} files
 * @returns {TestCounts}
 */
export function countReports(files) {
  let passed = 0;
  let failed = 0;
  for (const file of files) {
    const report = JSON.parse(readFileSync(file, 'utf8'));
    passed += report.numPassedTests ?? 0;
    failed += (report.numFailedTests ?? 0) + (report.numRuntimeErrorTestSuites ?? 0);
  }
  return { passed, failed };
}

/**
 * One line per failed test or test file that could not run, with the first line of its error:
 * printed before the closing line, where a log cut to its last lines still shows them.
 * @param {string[]} files vitest JSON reports
 * @param {string} root the repository root, cut from the paths shown
 * @returns {string[]}
 */
export function failedTests(files, root) {
  /** @type {string[]} */
  const lines = [];
  const firstLine = (/** @type {string | undefined} */ text) =>
    (text ?? '')
      .split('\n')
      .find((line) => line.trim() !== '')
      ?.trim()
      .slice(0, 240) ?? '';
  for (const file of files) {
    const report = JSON.parse(readFileSync(file, 'utf8'));
    for (const suite of report.testResults ?? []) {
      const where = relative(root, suite.name ?? '');
      /** @type {{ status: string; fullName: string; failureMessages?: string[] }[]} */
      const tests = suite.assertionResults ?? [];
      const failed = tests.filter((test) => test.status === 'failed');
      for (const test of failed)
        lines.push(`failed: ${where} > ${test.fullName}: ${firstLine(test.failureMessages?.[0])}`);
      if (failed.length === 0 && suite.status === 'failed')
        lines.push(`failed: ${where}: ${firstLine(suite.message)}`);
    }
  }
  return lines;
}

/**
 * The closing line (`N passed, N failed`) and exit code. A failed turbo run with no failed test
 * means lint or typecheck failed or a runner crashed: it counts as one failure. A run that
 * passed nothing fails too.
 * @param {number} status turbo's exit code
 * @param {TestCounts} counts
 * @returns {{ line: string; exitCode: number }}
 */
export function summarize(status, counts) {
  const failed = status !== 0 && counts.failed === 0 ? 1 : counts.failed;
  const ok = status === 0 && failed === 0 && counts.passed > 0;
  return { line: `${counts.passed} passed, ${failed} failed`, exitCode: ok ? 0 : 1 };
}
