import type { Actor } from '../access.ts';
import type { Core } from '../core.ts';
import { CoreError } from '../errors.ts';
import { buildPlan, type Change, type ConfigEnvironment, type Plan, problemsOf } from './plan.ts';
import type { ConfigFile, ConfigProblem } from './schema.ts';

/** What `planApply` throws for a file that cannot be applied: every problem, by path. */
export class ConfigProblemsError extends CoreError {
  constructor(readonly problems: ConfigProblem[]) {
    super(
      'BAD_REQUEST',
      `The configuration cannot be applied:\n${problems.map((problem) => `  ${problem.path}: ${problem.message}`).join('\n')}`,
      Object.fromEntries(
        [...new Set(problems.map((problem) => problem.path))].map((path) => [
          path,
          problems.filter((problem) => problem.path === path).map((problem) => problem.message),
        ]),
      ),
    );
  }
}

/** What `applyConfig` did (or, with `dryRun`, would do). */
export interface ApplyResult {
  workspaceId: string;
  changes: Change[];
  dryRun: boolean;
}

async function planOrThrow(core: Core, config: ConfigFile, env: ConfigEnvironment): Promise<Plan> {
  const { plan, problems } = await buildPlan(core, config, env);
  if (!plan || problems.length > 0) throw new ConfigProblemsError(problems);
  return plan;
}

/**
 * The changes applying `config` would make, without calling any provider. Throws
 * ConfigProblemsError listing every problem (unknown fields, unset environment variables...).
 */
export async function planApply(core: Core, config: ConfigFile, env: ConfigEnvironment): Promise<Change[]> {
  return (await planOrThrow(core, config, env)).steps.map((step) => step.change);
}

/** A file that could not be applied: every problem; `applied` is what was done before a failure mid-way (usually nothing). */
export interface ApplyFailure {
  problems: ConfigProblem[];
  applied: Change[];
}

/**
 * Makes the workspace match `config` through the provider-management services, so every
 * rule and validation applies; a second run changes nothing. New and changed credentials are
 * first checked with the provider (saving nothing): if any fails, nothing is applied and
 * every failure is listed. `dryRun` stops after that check and returns the changes.
 * Problems are returned, not thrown, like `parseConfigFile`'s.
 */
export async function applyConfig(
  core: Core,
  actor: Actor,
  config: ConfigFile,
  env: ConfigEnvironment,
  options: { dryRun?: boolean } = {},
): Promise<ApplyResult | ApplyFailure> {
  const { plan, problems } = await buildPlan(core, config, env);
  if (!plan || problems.length > 0) return { problems, applied: [] };
  for (const step of plan.steps) {
    if (!step.validate) continue;
    try {
      await step.validate(actor);
    } catch (error) {
      problems.push(...problemsOf(error, step.valuesPath ?? step.change.path, step.fields));
    }
  }
  if (problems.length > 0) return { problems, applied: [] };
  const changes = plan.steps.map((step) => step.change);
  if (options.dryRun) return { workspaceId: plan.workspaceId, changes, dryRun: true };
  const applied: Change[] = [];
  for (const step of plan.steps) {
    try {
      await step.run(actor);
    } catch (error) {
      return { problems: problemsOf(error, step.valuesPath ?? step.change.path, step.fields), applied };
    }
    applied.push(step.change);
  }
  return { workspaceId: plan.workspaceId, changes, dryRun: false };
}
