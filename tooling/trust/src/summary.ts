import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One line of the trust summary: what a suite tried, how much of it, and what came of it. */
export interface TrustRow {
  /** What was checked, e.g. "procedures x callers" or "canaries found". */
  check: string;
  /** How much was tried, e.g. 41 * 10 = 410, or "2 min". */
  tried: number | string;
  /** What came of it, e.g. "0 let in", "0 found", "0 lost, slope 0.1 MB/min". */
  result: string;
}

/** Where each suite's rows are written: one JSON file per suite, read back by the teardown. */
export const SUMMARY_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '.test-results', 'trust');

/** Records what a suite tried, for the summary table printed after the run (replaces the suite's earlier rows). */
export function recordTrust(suite: string, rows: readonly TrustRow[]): void {
  mkdirSync(SUMMARY_DIR, { recursive: true });
  writeFileSync(join(SUMMARY_DIR, `${suite}.json`), `${JSON.stringify({ suite, rows }, null, 2)}\n`);
}

/** Removes the rows of an earlier run, so the table only shows what this run tried. */
export function clearTrust(): void {
  rmSync(SUMMARY_DIR, { recursive: true, force: true });
}

/** The summary table of every suite that recorded rows, as Markdown. */
export function trustTable(): string {
  let files: string[];
  try {
    files = readdirSync(SUMMARY_DIR)
      .filter((name) => name.endsWith('.json'))
      .sort();
  } catch {
    return 'trust: no suite recorded anything\n';
  }
  const lines = ['| suite | check | tried | result |', '| --- | --- | --- | --- |'];
  for (const file of files) {
    const { suite, rows } = JSON.parse(readFileSync(join(SUMMARY_DIR, file), 'utf8')) as {
      suite: string;
      rows: TrustRow[];
    };
    for (const row of rows) lines.push(`| ${suite} | ${row.check} | ${row.tried} | ${row.result} |`);
  }
  return `${lines.join('\n')}\n`;
}
