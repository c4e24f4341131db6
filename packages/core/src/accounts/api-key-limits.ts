import type { Core } from '../core.ts';
import type { ApiKeyPolicyRow, ApiKeyRow, DbOrTrx } from '../db/schema.ts';
import type { InputCheck } from '../service/input.ts';

// What a workspace API key may reach and spend (decisions 0026, 0031): the models (exact
// `provider/model` or `provider/*`), one pinned credential per provider, and limits on requests
// and tokens per minute and spend per month. Checked here for every writer (API, CLI, config
// file); enforced by the gateway against the shared counters of `api-key-counters.ts`.

/** Nano-units per unit of the catalog currency: money is stored as whole nano-dollars. */
export const NANOS_PER_UNIT = 1_000_000_000;
/** Most requests per minute a key may be given. */
export const MAX_REQUESTS_PER_MINUTE = 1_000_000;
/** Most tokens per minute a key may be given. */
export const MAX_TOKENS_PER_MINUTE = 1_000_000_000;
/** Largest monthly budget, in the catalog currency (USD). */
export const MAX_MONTHLY_BUDGET = 1_000_000;
/** Most model patterns on one key or policy. */
export const MAX_MODEL_PATTERNS = 100;

/** What a key may reach and spend; every field null (or empty) means "no limit". */
export interface ApiKeyLimits {
  /** `provider/model` or `provider/*` the key may call; null: every model of the workspace. */
  models: string[] | null;
  /** Provider id to the one credential (id) the key's calls to that provider use. */
  credentials: Record<string, string>;
  /** Requests per minute, over a sliding 60 s (decision 0031); null: unlimited. */
  requestsPerMinute: number | null;
  /** Tokens (in + out) per minute, over a sliding 60 s; null: unlimited. */
  tokensPerMinute: number | null;
  /** Spend per UTC calendar month in the catalog currency (USD), from usage x catalog price; null: unlimited. */
  monthlyBudget: number | null;
}

/** Limits as create/update take them: a field left out is unchanged (create: no limit); null removes it. */
export type ApiKeyLimitsInput = {
  [K in keyof ApiKeyLimits]?: ApiKeyLimits[K] | null | undefined;
};

/** What an admin allows editors' keys; null fields are no restriction. */
export interface ApiKeyPolicy {
  /** Patterns every model of an editor's key must fall within; null: any model. */
  models: string[] | null;
  /** Largest requests-per-minute limit an editor may set (and the limit is then required). */
  maxRequestsPerMinute: number | null;
  /** Largest tokens-per-minute limit an editor may set (and the limit is then required). */
  maxTokensPerMinute: number | null;
  /** Largest monthly budget an editor may set, in USD (and a budget is then required). */
  maxMonthlyBudget: number | null;
  /** The policy's version (0 before an admin first sets it). */
  version: number;
}

/** The policy of a workspace without a stored one: editors are not restricted. */
export const OPEN_POLICY: ApiKeyPolicy = {
  models: null,
  maxRequestsPerMinute: null,
  maxTokensPerMinute: null,
  maxMonthlyBudget: null,
  version: 0,
};

const PATTERN = /^([a-z0-9][a-z0-9-]*)\/(\*|[^\s*]+)$/;

/** The key's limits in the form the gateway checks quickly. */
export interface CompiledLimits extends ApiKeyLimits {
  /** Exact `provider/model` names allowed (null when every model is). */
  exact: ReadonlySet<string> | null;
  /** Providers all of whose models are allowed (`provider/*`). */
  wholeProviders: ReadonlySet<string>;
  /** The budget in nano-dollars, or null. */
  budgetNanos: number | null;
  /** Whether a call is counted in the shared counters (any of the three limits is set). */
  metered: boolean;
}

/** Whether `pattern` (`provider/model` or `provider/*`) covers `provider/model`. */
export function patternCovers(pattern: string, name: string): boolean {
  if (pattern === name) return true;
  return pattern.endsWith('/*') && name.startsWith(pattern.slice(0, -1));
}

/** Whether the limits allow `provider/model`. */
export function allowsModel(limits: CompiledLimits, provider: string, model: string): boolean {
  if (limits.exact === null) return true;
  return limits.wholeProviders.has(provider) || limits.exact.has(`${provider}/${model}`);
}

/** Prepares limits for the gateway's checks. */
export function compileLimits(limits: ApiKeyLimits): CompiledLimits {
  const exact = limits.models === null ? null : new Set(limits.models.filter((m) => !m.endsWith('/*')));
  const wholeProviders = new Set(
    (limits.models ?? []).filter((m) => m.endsWith('/*')).map((m) => m.slice(0, -2)),
  );
  const budgetNanos = limits.monthlyBudget === null ? null : toNanos(limits.monthlyBudget);
  return {
    ...limits,
    exact,
    wholeProviders,
    budgetNanos,
    metered: limits.requestsPerMinute !== null || limits.tokensPerMinute !== null || budgetNanos !== null,
  };
}

/** Nano-dollars of an amount in USD. */
export const toNanos = (amount: number): number => Math.round(amount * NANOS_PER_UNIT);
/** USD of an amount in nano-dollars (bigint columns come back as strings on PostgreSQL). */
export const fromNanos = (nanos: number | string | bigint): number => Number(nanos) / NANOS_PER_UNIT;

const parseJson = <T>(text: string | null, fallback: T): T =>
  text === null ? fallback : (JSON.parse(text) as T);

/** A stored key's limits. */
export function limitsOfRow(
  row: Pick<
    ApiKeyRow,
    'models' | 'credential_pins' | 'requests_per_minute' | 'tokens_per_minute' | 'monthly_budget_nanos'
  >,
): ApiKeyLimits {
  return {
    models: parseJson<string[] | null>(row.models, null),
    credentials: parseJson<Record<string, string>>(row.credential_pins, {}),
    requestsPerMinute: row.requests_per_minute,
    tokensPerMinute: row.tokens_per_minute,
    monthlyBudget: row.monthly_budget_nanos === null ? null : fromNanos(row.monthly_budget_nanos),
  };
}

/** The columns storing `limits`. */
export function limitColumns(limits: ApiKeyLimits) {
  return {
    models: limits.models === null ? null : JSON.stringify(limits.models),
    credential_pins: Object.keys(limits.credentials).length === 0 ? null : JSON.stringify(limits.credentials),
    requests_per_minute: limits.requestsPerMinute,
    tokens_per_minute: limits.tokensPerMinute,
    monthly_budget_nanos: limits.monthlyBudget === null ? null : toNanos(limits.monthlyBudget),
  };
}

/** A stored policy (none stored: the open policy). */
export function policyOfRow(row: ApiKeyPolicyRow | undefined): ApiKeyPolicy {
  if (!row) return OPEN_POLICY;
  return {
    models: parseJson<string[] | null>(row.models, null),
    maxRequestsPerMinute: row.max_requests_per_minute,
    maxTokensPerMinute: row.max_tokens_per_minute,
    maxMonthlyBudget: row.max_monthly_budget_nanos === null ? null : fromNanos(row.max_monthly_budget_nanos),
    version: Number(row.version),
  };
}

/** A list of model patterns, or null ("every model"); records what is wrong under `field`. */
export function checkModelPatterns(
  check: InputCheck,
  core: Core,
  field: string,
  value: unknown,
): string[] | null {
  if (value === null) return null;
  if (!Array.isArray(value)) {
    check.fail(field, 'must be a list of provider/model or provider/* names, or null for every model');
    return null;
  }
  if (value.length === 0) {
    check.fail(field, 'list at least one model, or leave it out (null) for every model');
    return null;
  }
  if (value.length > MAX_MODEL_PATTERNS) {
    check.fail(field, `at most ${MAX_MODEL_PATTERNS} entries`);
    return null;
  }
  const patterns: string[] = [];
  for (const [index, entry] of value.entries()) {
    const text = typeof entry === 'string' ? entry.trim() : '';
    const match = PATTERN.exec(text);
    if (!match) {
      check.fail(`${field}[${index}]`, `"${String(entry)}" must be provider/model or provider/*`);
      continue;
    }
    if (!core.providers.get(match[1] as never)) {
      check.fail(`${field}[${index}]`, `"${match[1]}" is not a provider of this server`);
      continue;
    }
    if (!patterns.includes(text)) patterns.push(text);
  }
  return patterns;
}

/** A whole number from 1 to `max`, or null (no limit). */
export function checkLimitNumber(
  check: InputCheck,
  field: string,
  value: unknown,
  max: number,
  unit: string,
): number | null {
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    check.fail(field, `must be a whole number of ${unit} from 1 to ${max}, or null for no limit`);
    return null;
  }
  return value;
}

/** An amount of money from 0.01 to the largest budget (USD), or null (no budget). */
export function checkBudget(check: InputCheck, field: string, value: unknown): number | null {
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0.01 || value > MAX_MONTHLY_BUDGET) {
    check.fail(field, `must be an amount in USD from 0.01 to ${MAX_MONTHLY_BUDGET}, or null for no budget`);
    return null;
  }
  return value;
}

/**
 * Checks the pins (provider id to credential id): each provider known, each credential one of the
 * workspace's provider-level keys of that provider. Reads the credentials in `db`.
 */
export async function checkPins(
  check: InputCheck,
  core: Core,
  db: DbOrTrx,
  workspaceId: string,
  value: unknown,
): Promise<Record<string, string>> {
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    check.fail('credentials', 'must map provider ids to credential ids, e.g. { "openai": "cred_…" }');
    return {};
  }
  const pins: Record<string, string> = {};
  for (const [provider, credentialId] of Object.entries(value as Record<string, unknown>)) {
    const field = `credentials.${provider}`;
    if (!core.providers.get(provider as never)) {
      check.fail(field, `"${provider}" is not a provider of this server`);
      continue;
    }
    if (typeof credentialId !== 'string' || credentialId.trim() === '') {
      check.fail(field, 'must be the id of one of the provider’s credentials');
      continue;
    }
    const row = await db
      .selectFrom('provider_credentials')
      .select(['id'])
      .where('workspace_id', '=', workspaceId)
      .where('provider', '=', provider)
      .where('scope', '=', '')
      .where('id', '=', credentialId.trim())
      .executeTakeFirst();
    if (!row) {
      check.fail(field, `no credential with this id among ${provider}'s keys in this workspace`);
      continue;
    }
    pins[provider] = row.id;
  }
  return pins;
}

/**
 * The fields of `limits` an editor's key breaks in `policy`: field to message. Admins are not
 * held to the policy; editors must stay within it on create and on every update.
 */
export function policyViolations(policy: ApiKeyPolicy, limits: ApiKeyLimits): Record<string, string> {
  const problems: Record<string, string> = {};
  if (policy.models !== null) {
    const allowed = policy.models.join(', ');
    if (limits.models === null) {
      problems.models = `editors' keys must list their models, within ${allowed} (workspace API key policy)`;
    } else {
      const outside = limits.models.filter(
        (pattern) => !policy.models?.some((allowedPattern) => patternCovers(allowedPattern, pattern)),
      );
      if (outside.length > 0)
        problems.models = `${outside.join(', ')} outside what editors may use: ${allowed} (workspace API key policy)`;
    }
  }
  const cap = (field: keyof ApiKeyLimits, value: number | null, max: number | null, what: string) => {
    if (max === null) return;
    if (value === null || value > max)
      problems[field] = `editors' keys need a ${what} of at most ${max} (workspace API key policy)`;
  };
  cap(
    'requestsPerMinute',
    limits.requestsPerMinute,
    policy.maxRequestsPerMinute,
    'requests-per-minute limit',
  );
  cap('tokensPerMinute', limits.tokensPerMinute, policy.maxTokensPerMinute, 'tokens-per-minute limit');
  cap('monthlyBudget', limits.monthlyBudget, policy.maxMonthlyBudget, 'monthly budget (USD)');
  return problems;
}
