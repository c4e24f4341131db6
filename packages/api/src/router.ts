import { changesRouter } from './routers/changes.ts';
import { router } from './trpc.ts';

/** The whole API. Each noun has its own router file. */
export const appRouter = router({
  changes: changesRouter,
});

export type AppRouter = typeof appRouter;
