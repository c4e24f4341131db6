import type { TestProject } from 'vitest/node';
import { startPostgresCluster } from './postgres-cluster.ts';
import './provided-context.ts';


/**
 * Vitest global setup: one private PostgreSQL cluster per test run, unless
 * SWITCHBOARD_TEST_POSTGRES names a server to use instead.
 */
export default async function setup(project: TestProject) {
  const external = process.env.SWITCHBOARD_TEST_POSTGRES;
  if (external) {
    project.provide('postgresUrl', external);
    return;
  }
  const cluster = await startPostgresCluster();
  project.provide('postgresUrl', cluster.url);
  return () => cluster.stop();
}
