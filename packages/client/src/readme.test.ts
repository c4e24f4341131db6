import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CoreErrorCode } from '../../core/src/errors.ts';

// The README is the client's contract: every code the API can answer with is listed there.
// The list below is checked against core's codes by the compiler (a new code fails typecheck
// until it is added here and to the README), and against the README by this test.
const API_CODES = {
  BAD_REQUEST: true,
  UNAUTHORIZED: true,
  FORBIDDEN: true,
  NOT_FOUND: true,
  CONFLICT: true,
  PRECONDITION_FAILED: true,
  TOO_MANY_REQUESTS: true,
  INTERNAL_SERVER_ERROR: true,
} satisfies Record<CoreErrorCode | 'INTERNAL_SERVER_ERROR', true>;

describe('the client README', () => {
  it('lists every error code the API returns, each with when', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const rows = [...readme.matchAll(/^- `([A-Z_]+)`: (.+)$/gm)].map((match) => [match[1], match[2]]);
    expect(rows.map(([code]) => code).sort()).toEqual(Object.keys(API_CODES).sort());
    for (const [, when] of rows) expect(when?.length).toBeGreaterThan(20);
  });
});
