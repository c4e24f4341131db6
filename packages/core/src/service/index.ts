export { type Access, authorize, type Need, type WorkspaceRef } from './authorize.ts';
export { type ChangeRecord, isDatabaseUnavailable, type RecordChange, mutate } from './mutate.ts';
