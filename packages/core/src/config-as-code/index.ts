export { type ApplyResult, applyConfig, ConfigProblemsError, planApply } from './apply.ts';
export { exportConfig, suggestedEnvName } from './export.ts';
export type { Change, ConfigEnvironment } from './plan.ts';
export { type ConfigFile, type ConfigProblem, configSchema, parseConfigFile } from './schema.ts';
