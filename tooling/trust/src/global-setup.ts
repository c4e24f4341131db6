import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clearTrust, SUMMARY_DIR, trustTable } from './summary.ts';

/** Clears the last run's rows; after every suite ran, prints the summary table and keeps it as SUMMARY.md. */
export default function setup(): () => void {
  clearTrust();
  return () => {
    const table = trustTable();
    try {
      writeFileSync(join(SUMMARY_DIR, 'SUMMARY.md'), table);
    } catch {
      // No suite recorded anything: there is nothing to keep.
    }
    process.stdout.write(`\nTrust summary\n${table}`);
  };
}
