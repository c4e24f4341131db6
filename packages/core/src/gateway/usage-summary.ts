import type { Actor } from '../access.ts';
import type { Core } from '../core.ts';
import { fieldError } from '../errors.ts';
import { costOf, loadPriceLookup } from '../provider-management/model-pricing.ts';
import { authorize, type WorkspaceRef } from '../service/authorize.ts';
import {
  apiKeyNamesOf,
  credentialNamesOf,
  listUsageGroups,
  type UsageGroupRow as Row,
} from './usage-repository.ts';

/** Totals of one group of calls. */
export interface UsageTotals {
  calls: number;
  errors: number;
  tokensIn: number;
  tokensOut: number;
  /** Estimated from the models' prices (the catalog's, or an admin's for a custom model); null when a model has none. */
  estimatedCostUsd: number | null;
}

/** Usage of a workspace over a period, grouped four ways. */
export interface UsageSummary {
  from: string;
  to: string;
  total: UsageTotals;
  byDay: (UsageTotals & { day: string })[];
  byModel: (UsageTotals & { provider: string; model: string })[];
  byCredential: (UsageTotals & {
    credentialId: string | null;
    credentialName: string | null;
    provider: string;
  })[];
  byApiKey: (UsageTotals & { apiKeyId: string | null; apiKeyName: string | null; userId: string | null })[];
}

const DAY_MS = 86_400_000;

/**
 * Usage of one workspace between `from` and `to` (ISO dates; default the last 30 days),
 * by day, model, credential (so a team sees which account each key bills) and API key.
 * One grouped query; the four views are folded from it in memory.
 */
export async function usageSummary(
  core: Core,
  actor: Actor,
  input: WorkspaceRef & { from?: string | undefined; to?: string | undefined },
): Promise<UsageSummary> {
  await authorize(core, actor, input.workspaceId, 'manage');
  const to = input.to ? new Date(input.to) : new Date();
  const from = input.from ? new Date(input.from) : new Date(to.getTime() - 30 * DAY_MS);
  if (Number.isNaN(from.getTime())) throw fieldError('from', 'is not a date');
  if (Number.isNaN(to.getTime())) throw fieldError('to', 'is not a date');
  if (from > to) throw fieldError('from', 'must be before to');

  const rows = await listUsageGroups(core.db, input.workspaceId, from.toISOString(), to.toISOString());
  const credentialNames = await credentialNamesOf(core.db, rows);
  const apiKeyNames = await apiKeyNamesOf(core.db, rows);

  const price = await loadPriceLookup(core, input.workspaceId);

  const empty = (): UsageTotals => ({ calls: 0, errors: 0, tokensIn: 0, tokensOut: 0, estimatedCostUsd: 0 });
  const add = (totals: UsageTotals, row: Row) => {
    const tokensIn = Number(row.tokens_in ?? 0);
    const tokensOut = Number(row.tokens_out ?? 0);
    totals.calls += Number(row.calls);
    totals.errors += Number(row.errors ?? 0);
    totals.tokensIn += tokensIn;
    totals.tokensOut += tokensOut;
    const pricing = price(row.provider, row.model_type, row.model);
    if (!pricing) totals.estimatedCostUsd = null;
    else if (totals.estimatedCostUsd !== null)
      totals.estimatedCostUsd += costOf(pricing, tokensIn, tokensOut);
  };
  const group = <K extends string, E extends object>(keyOf: (row: Row) => K, extra: (row: Row) => E) => {
    const groups = new Map<K, UsageTotals & E>();
    for (const row of rows) {
      const key = keyOf(row);
      let totals = groups.get(key);
      if (!totals) {
        totals = { ...empty(), ...extra(row) };
        groups.set(key, totals);
      }
      add(totals, row);
    }
    return [...groups.values()];
  };

  const total = empty();
  for (const row of rows) add(total, row);
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    total,
    byDay: group(
      (row) => row.day,
      (row) => ({ day: row.day }),
    ).sort((a, b) => a.day.localeCompare(b.day)),
    byModel: group(
      (row) => `${row.provider}/${row.model}`,
      (row) => ({ provider: row.provider, model: row.model }),
    ).sort((a, b) => b.calls - a.calls),
    byCredential: group(
      (row) => `${row.credential_id}`,
      (row) => ({
        credentialId: row.credential_id,
        credentialName: row.credential_id ? (credentialNames.get(row.credential_id) ?? null) : null,
        provider: row.provider,
      }),
    ).sort((a, b) => b.calls - a.calls),
    byApiKey: group(
      (row) => `${row.api_key_id}\u0000${row.user_id}`,
      (row) => ({
        apiKeyId: row.api_key_id,
        apiKeyName: row.api_key_id ? (apiKeyNames.get(row.api_key_id) ?? null) : null,
        userId: row.user_id,
      }),
    ).sort((a, b) => b.calls - a.calls),
  };
}
