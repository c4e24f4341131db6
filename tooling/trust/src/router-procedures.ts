import { appRouter } from '@switchboard/api';
import type { ProcedureType } from './trpc-http.ts';

/** One procedure of the API, as the router declares it. */
export interface RouterProcedure {
  /** Dotted path, e.g. `credentials.create`. */
  path: string;
  type: ProcedureType;
}

/**
 * Every procedure of the router, read from the router itself (`_def.procedures`, the flat map
 * tRPC keeps), so a suite covers a procedure the day it is added. Sorted by path.
 */
export function routerProcedures(): RouterProcedure[] {
  const procedures = appRouter._def.procedures as unknown as Record<
    string,
    { _def: { type: ProcedureType } }
  >;
  return Object.entries(procedures)
    .map(([path, procedure]) => ({ path, type: procedure._def.type }))
    .sort((a, b) => a.path.localeCompare(b.path));
}
