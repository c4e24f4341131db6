export { type ConnectProxy, startConnectProxy } from './connect-proxy.ts';
export { CHROMIUM_FLAGS, chromiumPath } from './chromium.ts';
export { type DatabaseTarget, ENGINES, type EngineName, freshDatabaseTarget } from './database-targets.ts';
export {
  type CannedResponse,
  closedPort,
  type FakeUpstream,
  fixture,
  type RecordedRequest,
  type Responder,
  splitBytes,
  startFakeUpstream,
} from './fake-upstream.ts';
export { findPostgresBinaries, type PostgresCluster, startPostgresCluster } from './postgres-cluster.ts';
