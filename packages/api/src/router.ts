import { apiKeysRouter } from './routers/api-keys.ts';
import { auditRouter } from './routers/audit.ts';
import { authRouter } from './routers/auth.ts';
import { changesRouter } from './routers/changes.ts';
import { membersRouter } from './routers/members.ts';
import { tokensRouter } from './routers/tokens.ts';
import { workspacesRouter } from './routers/workspaces.ts';
import { router } from './trpc.ts';

/** The whole API. Each noun has its own router file. */
export const appRouter = router({
  auth: authRouter,
  tokens: tokensRouter,
  workspaces: workspacesRouter,
  members: membersRouter,
  apiKeys: apiKeysRouter,
  audit: auditRouter,
  changes: changesRouter,
});

export type AppRouter = typeof appRouter;
