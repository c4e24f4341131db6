import { router } from './trpc.ts';

/** The whole API. Each noun has its own router file. */
export const appRouter = router({});

export type AppRouter = typeof appRouter;
