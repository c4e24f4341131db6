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
