import type { Migration, MigrationProvider } from 'kysely';
import * as accounts from './2026-11-30T0000-accounts.ts';
import * as providers from './2026-11-30T0200-providers.ts';
import * as changeLog from './2026-11-30T0300-change-log.ts';
import * as usage from './2026-11-30T0400-usage.ts';
import * as responses from './2026-12-07T0100-responses.ts';
import * as tokenExpiry from './2026-12-07T0800-token-expiry.ts';
import * as tokenScopes from './2026-12-07T1000-token-scopes.ts';
import * as apiKeyLimits from './2026-12-07T1200-api-key-limits.ts';
import * as credentialLastSuccess from './2026-12-07T1300-credential-last-success.ts';
import * as customModelPrices from './2026-12-07T1400-custom-model-prices.ts';
import * as slidingKeyLimits from './2026-12-07T1600-sliding-key-limits.ts';

/**
 * Every migration, by name; names sort in the order they run. Provided from code
 * (not read from a folder) so a bundled server still finds them.
 */
export const migrations: Record<string, Migration> = {
  '2026-11-30T0000-accounts': accounts,
  '2026-11-30T0200-providers': providers,
  '2026-11-30T0300-change-log': changeLog,
  '2026-11-30T0400-usage': usage,
  '2026-12-07T0100-responses': responses,
  '2026-12-07T0800-token-expiry': tokenExpiry,
  '2026-12-07T1000-token-scopes': tokenScopes,
  '2026-12-07T1200-api-key-limits': apiKeyLimits,
  '2026-12-07T1300-credential-last-success': credentialLastSuccess,
  '2026-12-07T1400-custom-model-prices': customModelPrices,
  '2026-12-07T1600-sliding-key-limits': slidingKeyLimits,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
