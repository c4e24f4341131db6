export * from './access.ts';
export * from './audit.ts';
export * from './changes.ts';
export * from './changes/index.ts';
export * from './core.ts';
export { Keyring } from './crypto/keyring.ts';
export { type RotationResult, rotateMasterKey, settleMasterKeys } from './crypto/rotate.ts';
export { maskSecret } from './crypto/mask.ts';
export {
  generateMasterKey,
  type MasterKey,
  MasterKeyError,
  type MasterKeySource,
  masterKeyFilePath,
  parseMasterKey,
} from './crypto/master-key.ts';
export {
  type DatabaseConfig,
  type DatabaseHandle,
  FileModeError,
  migrateHandle,
  migrateToLatest,
  openDatabase,
  pingDatabase,
  postgresClientConfig,
} from './db/connect.ts';
export * from './errors.ts';
export { newId, nowIso } from './ids.ts';
export * from './service/index.ts';
export * from './accounts/index.ts';
export * from './provider-management/index.ts';
export * from './gateway/index.ts';
export * from './config-as-code/index.ts';
export * from './responses/index.ts';
