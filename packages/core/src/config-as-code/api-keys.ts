import { z } from 'zod';
import type { Actor } from '../access.ts';
import { updateApiKey } from '../accounts/api-keys.ts';
import {
  type ApiKeyLimits,
  checkBudget,
  checkLimitNumber,
  checkModelPatterns,
  limitsOfRow,
  MAX_REQUESTS_PER_MINUTE,
  MAX_TOKENS_PER_MINUTE,
} from '../accounts/api-key-limits.ts';
import { readPolicy, setApiKeyPolicy } from '../accounts/api-key-policy.ts';
import type { Core } from '../core.ts';
import type { ApiKeyRow } from '../db/schema.ts';
import { InputCheck } from '../service/input.ts';
import type { ConfigProblem } from './schema.ts';

// The API key part of configuration as code (decision 0026): the `apiKeys` section sets the
// limits of keys that exist (matched by name; a key's secret is made and shown by the console
// or `switchboard api-key create`, never by a file), and `apiKeyPolicy` sets what editors' keys
// may reach. Keys the file leaves out are left alone; a file never revokes a key.

const limitNumber = z.number({ error: 'must be a number, or null for no limit' }).nullable().optional();

/** One key's limits in the file; a field left out is no limit (the section is matched exactly). */
export const apiKeyEntrySchema = z.strictObject({
  name: z.string().trim().min(1, 'an API key needs a name'),
  /** `provider/model` or `provider/*`; left out: every model. */
  models: z
    .array(z.string({ error: 'must be provider/model or provider/*' }))
    .nullable()
    .optional(),
  /** Provider id to the name of one of its provider-level credentials. */
  credentials: z.record(z.string(), z.string({ error: 'must be a credential name' })).optional(),
  requestsPerMinute: limitNumber,
  tokensPerMinute: limitNumber,
  /** USD per UTC month. */
  monthlyBudget: limitNumber,
});

/** What editors' keys may reach and spend; a field left out is no restriction. */
export const apiKeyPolicySchema = z.strictObject({
  models: z
    .array(z.string({ error: 'must be provider/model or provider/*' }))
    .nullable()
    .optional(),
  maxRequestsPerMinute: limitNumber,
  maxTokensPerMinute: limitNumber,
  maxMonthlyBudget: limitNumber,
});

/** An `apiKeys` entry. */
export type ConfigApiKey = z.output<typeof apiKeyEntrySchema>;
/** The `apiKeyPolicy` section. */
export type ConfigApiKeyPolicy = z.output<typeof apiKeyPolicySchema>;

/** A step of the API key sections. */
interface ApiKeyStep {
  change: { action: 'update-api-key' | 'set-api-key-policy'; path: string; description: string };
  run: (actor: Actor) => Promise<void>;
}

/** What the planner needs to add API key steps. */
interface ApiKeyPlanner {
  core: Core;
  workspaceId: string;
  problems: ConfigProblem[];
  /** The plan's steps (only added to). */
  steps: { push(step: ApiKeyStep): unknown };
}

/** Moves an InputCheck's field errors to problems under `path`. */
function collect(check: InputCheck, path: string, problems: ConfigProblem[]): void {
  try {
    check.done();
  } catch (error) {
    const fieldErrors = (error as { fieldErrors?: Record<string, string[]> }).fieldErrors ?? {};
    for (const [field, messages] of Object.entries(fieldErrors))
      for (const message of messages) problems.push({ path: `${path}.${field}`, message });
  }
}

const sameList = (a: readonly string[] | null, b: readonly string[] | null) =>
  a === null || b === null ? a === b : a.length === b.length && a.every((item, index) => item === b[index]);

const sameRecord = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).length === Object.keys(b).length &&
  Object.entries(a).every(([key, value]) => b[key] === value);

async function credentialNames(core: Core, workspaceId: string) {
  const rows = await core.db
    .selectFrom('provider_credentials')
    .select(['id', 'provider', 'name'])
    .where('workspace_id', '=', workspaceId)
    .where('scope', '=', '')
    .execute();
  return rows;
}

/**
 * Adds the steps that give each listed key the file's limits, and the editors' policy; problems
 * (unknown keys, bad values, credentials that neither exist nor come from the file) are collected
 * with their paths. `fileCredentials` names the provider-level credentials the file itself makes.
 */
export async function planApiKeys(
  planner: ApiKeyPlanner,
  entries: ConfigApiKey[] | undefined,
  policy: ConfigApiKeyPolicy | undefined,
  fileCredentials: (provider: string) => string[],
): Promise<void> {
  const { core, workspaceId, problems } = planner;
  if (entries) {
    const keys = await core.db
      .selectFrom('api_keys')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('revoked_at', 'is', null)
      .execute();
    const stored = await credentialNames(core, workspaceId);
    for (const [index, entry] of entries.entries()) {
      const path = `apiKeys[${index}]`;
      const matching = keys.filter((key) => key.name === entry.name);
      if (matching.length !== 1) {
        problems.push({
          path: `${path}.name`,
          message:
            matching.length === 0
              ? `no active API key named "${entry.name}": create it in the console or with switchboard api-key create, then apply`
              : `${matching.length} active API keys are named "${entry.name}"; rename one first`,
        });
        continue;
      }
      const key = matching[0] as ApiKeyRow;
      const check = new InputCheck();
      const desired: Omit<ApiKeyLimits, 'credentials'> = {
        models: checkModelPatterns(check, core, 'models', entry.models ?? null),
        requestsPerMinute: checkLimitNumber(
          check,
          'requestsPerMinute',
          entry.requestsPerMinute ?? null,
          MAX_REQUESTS_PER_MINUTE,
          'requests',
        ),
        tokensPerMinute: checkLimitNumber(
          check,
          'tokensPerMinute',
          entry.tokensPerMinute ?? null,
          MAX_TOKENS_PER_MINUTE,
          'tokens',
        ),
        monthlyBudget: checkBudget(check, 'monthlyBudget', entry.monthlyBudget ?? null),
      };
      const pins = entry.credentials ?? {};
      for (const [provider, name] of Object.entries(pins)) {
        const known =
          stored.some((row) => row.provider === provider && row.name === name) ||
          fileCredentials(provider).includes(name);
        if (!known) check.fail(`credentials.${provider}`, `no ${provider} credential named "${name}"`);
      }
      const before = problems.length;
      collect(check, path, problems);
      if (problems.length > before) continue;
      const current = limitsOfRow(key);
      const currentPins = Object.fromEntries(
        Object.entries(current.credentials).map(([provider, id]) => [
          provider,
          stored.find((row) => row.id === id)?.name ?? id,
        ]),
      );
      if (
        sameList(current.models, desired.models) &&
        sameRecord(currentPins, pins) &&
        current.requestsPerMinute === desired.requestsPerMinute &&
        current.tokensPerMinute === desired.tokensPerMinute &&
        current.monthlyBudget === desired.monthlyBudget
      )
        continue;
      planner.steps.push({
        change: { action: 'update-api-key', path, description: `set the limits of API key "${entry.name}"` },
        run: async (actor) => {
          // Credentials the file creates exist by now: names are resolved when the step runs.
          const rows = await credentialNames(core, workspaceId);
          const credentials = Object.fromEntries(
            Object.entries(pins).map(([provider, name]) => [
              provider,
              rows.find((row) => row.provider === provider && row.name === name)?.id ?? name,
            ]),
          );
          await updateApiKey(core, actor, { workspaceId, apiKeyId: key.id, ...desired, credentials });
        },
      });
    }
  }
  if (policy) {
    const check = new InputCheck();
    const desired = {
      models: checkModelPatterns(check, core, 'models', policy.models ?? null),
      maxRequestsPerMinute: checkLimitNumber(
        check,
        'maxRequestsPerMinute',
        policy.maxRequestsPerMinute ?? null,
        MAX_REQUESTS_PER_MINUTE,
        'requests',
      ),
      maxTokensPerMinute: checkLimitNumber(
        check,
        'maxTokensPerMinute',
        policy.maxTokensPerMinute ?? null,
        MAX_TOKENS_PER_MINUTE,
        'tokens',
      ),
      maxMonthlyBudget: checkBudget(check, 'maxMonthlyBudget', policy.maxMonthlyBudget ?? null),
    };
    const before = problems.length;
    collect(check, 'apiKeyPolicy', problems);
    if (problems.length > before) return;
    const current = await readPolicy(core.db, workspaceId);
    if (
      sameList(current.models, desired.models) &&
      current.maxRequestsPerMinute === desired.maxRequestsPerMinute &&
      current.maxTokensPerMinute === desired.maxTokensPerMinute &&
      current.maxMonthlyBudget === desired.maxMonthlyBudget
    )
      return;
    planner.steps.push({
      change: {
        action: 'set-api-key-policy',
        path: 'apiKeyPolicy',
        description: "set what editors' API keys may reach and spend",
      },
      run: async (actor) => {
        await setApiKeyPolicy(core, actor, { workspaceId, ...desired });
      },
    });
  }
}

/** The `apiKeys` and `apiKeyPolicy` sections of an export: every active key, by name, with its limits. */
export async function exportApiKeys(
  core: Core,
  workspaceId: string,
): Promise<{ apiKeys?: ConfigApiKey[]; apiKeyPolicy?: ConfigApiKeyPolicy }> {
  const keys = await core.db
    .selectFrom('api_keys')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('revoked_at', 'is', null)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const names = await credentialNames(core, workspaceId);
  const apiKeys = keys.map((key) => {
    const limits = limitsOfRow(key);
    const pins = Object.entries(limits.credentials);
    return {
      name: key.name,
      ...(limits.models !== null ? { models: limits.models } : {}),
      ...(pins.length > 0
        ? {
            credentials: Object.fromEntries(
              pins.map(([provider, id]) => [provider, names.find((row) => row.id === id)?.name ?? id]),
            ),
          }
        : {}),
      ...(limits.requestsPerMinute !== null ? { requestsPerMinute: limits.requestsPerMinute } : {}),
      ...(limits.tokensPerMinute !== null ? { tokensPerMinute: limits.tokensPerMinute } : {}),
      ...(limits.monthlyBudget !== null ? { monthlyBudget: limits.monthlyBudget } : {}),
    };
  });
  const policy = await readPolicy(core.db, workspaceId);
  return {
    ...(apiKeys.length > 0 ? { apiKeys } : {}),
    ...(policy.version > 0
      ? {
          apiKeyPolicy: {
            ...(policy.models !== null ? { models: policy.models } : {}),
            ...(policy.maxRequestsPerMinute !== null
              ? { maxRequestsPerMinute: policy.maxRequestsPerMinute }
              : {}),
            ...(policy.maxTokensPerMinute !== null ? { maxTokensPerMinute: policy.maxTokensPerMinute } : {}),
            ...(policy.maxMonthlyBudget !== null ? { maxMonthlyBudget: policy.maxMonthlyBudget } : {}),
          },
        }
      : {}),
  };
}
