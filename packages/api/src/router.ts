import { apiKeysRouter } from './routers/api-keys.ts';
import { auditRouter } from './routers/audit.ts';
import { authRouter } from './routers/auth.ts';
import { changesRouter } from './routers/changes.ts';
import { credentialsRouter } from './routers/credentials.ts';
import { defaultsRouter } from './routers/defaults.ts';
import { loadBalancingRouter } from './routers/load-balancing.ts';
import { membersRouter } from './routers/members.ts';
import { modelsRouter } from './routers/models.ts';
import { providersRouter } from './routers/providers.ts';
import { responsesRouter } from './routers/responses.ts';
import { tokensRouter } from './routers/tokens.ts';
import { workspacesRouter } from './routers/workspaces.ts';
import { usageRouter } from './routers/usage.ts';
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
  providers: providersRouter,
  credentials: credentialsRouter,
  models: modelsRouter,
  defaults: defaultsRouter,
  loadBalancing: loadBalancingRouter,
  usage: usageRouter,
  responses: responsesRouter,
});

export type AppRouter = typeof appRouter;
