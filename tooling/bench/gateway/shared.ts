/** Chunks per streamed completion from the benchmark upstream (role chunk, content chunks, finish chunk). */
export const STREAM_CHUNKS = 200;

/** A stage that cannot run (a server missing a feature, a command failing): reported, not thrown as a crash. */
export class StageUnavailableError extends Error {
  override readonly name = 'StageUnavailableError';
}

/** Writes a line to stderr, where the human-readable progress goes (stdout carries only the JSON line). */
export function note(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** Temporary directories to delete once every child has stopped. */
export const temporaryDirectories = new Set<string>();
