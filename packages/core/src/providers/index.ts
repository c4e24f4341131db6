export * from './catalog.ts';
export * from './cooldowns.ts';
export {
  credentialForm,
  isDestinationField,
  normalizeValues,
  validateWithAdapter,
} from './common.ts';
export * from './credentials.ts';
export * from './defaults.ts';
export * from './load-balancing.ts';
export * from './models.ts';
export { credentialScope, loadWorkspaceRows, type WorkspaceProviderRows } from './repository.ts';
export * from './resolve.ts';
export {
  buildState,
  type LoadBalancingEntry,
  type ModelState,
  modelStatus,
  modelView,
  type WorkspaceProviderState,
} from './state.ts';
export * from './types.ts';
