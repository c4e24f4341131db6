import { buildConsoleIfNeeded } from '../scripts/build-if-needed.mjs';

/** Builds the console before the browser tests when it is missing or older than its sources. */
export default function setup(): void {
  buildConsoleIfNeeded();
}
