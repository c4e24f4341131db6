export * from './catalog.ts';
export * from './credential-health.ts';
export * from './credentials.ts';
export * from './defaults.ts';
export * from './load-balancing.ts';
export * from './models.ts';
export {
  costOf,
  MAX_PRICE_PER_MILLION,
  type ModelPricingInput,
  type PricingSource,
} from './model-pricing.ts';
export { credentialScope, storedRestUntil } from './credential-repository.ts';
export { loadWorkspaceRows, type WorkspaceProviderRows } from './repository.ts';
export * from './resolve.ts';
export {
  buildState,
  type LoadBalancingEntry,
  isUsable,
  type ModelState,
  modelStatus,
  modelVersion,
  modelView,
  type WorkspaceProviderState,
} from './state.ts';
export * from './types.ts';
