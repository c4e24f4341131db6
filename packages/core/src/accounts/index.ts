export {
  type ApiKeyUsage,
  addApiKeySpend,
  admitApiKeyCall,
  admitApiKeyCalls,
  type LimitHit,
  minuteOf,
  monthOf,
  NO_SPEND,
  type Refusal,
  type UnsavedSpend,
} from './api-key-counters.ts';
export {
  type ApiKeyLimits,
  type ApiKeyLimitsInput,
  type ApiKeyPolicy,
  allowsModel,
  type CompiledLimits,
  compileLimits,
  fromNanos,
  NANOS_PER_UNIT,
  patternCovers,
  toNanos,
} from './api-key-limits.ts';
export { openPinnedCredential } from './api-key-pins.ts';
export { type ApiKeyPolicyInput, getApiKeyPolicy, setApiKeyPolicy } from './api-key-policy.ts';
export * from './api-keys.ts';
export * from './audit-log.ts';
export {
  authenticateApiKey,
  authenticatePersonalToken,
  authenticateSession,
  hasAnyUser,
  isSignedIn,
  type LoginInput,
  login,
  logout,
  type NewSession,
  SESSION_COOKIE_MAX_AGE_SECONDS,
  type SetupInput,
  type SetupResult,
  setupFirstOwner,
  type SignIn,
  setupFirstOwnerAndSignIn,
  whileSignedIn,
} from './auth.ts';
export * from './members.ts';
export * from './personal-access-tokens.ts';
export { configureLoginThrottle, LoginThrottle, type LoginThrottleOptions } from './throttle.ts';
export {
  createUser,
  findUserByEmail,
  getMe,
  listWorkspaces,
  type Me,
  type PasswordResetResult,
  resetPassword,
} from './users.ts';
export type {
  ApiKeyView,
  AuditView,
  InvitationView,
  MemberView,
  TokenView,
  UserView,
  WorkspaceView,
} from './views.ts';
export { createWorkspace, findWorkspace, getWorkspace, renameWorkspace } from './workspaces.ts';
