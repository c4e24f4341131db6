export { type ApplyFailure, type ApplyResult, applyConfig, ConfigProblemsError, planApply } from './apply.ts';
export { exportConfig, suggestedEnvName } from './export.ts';
export type { Change as ConfigChange, ConfigEnvironment } from './plan.ts';
export { type ConfigFile, type ConfigProblem, configSchema, parseConfigFile } from './schema.ts';
