export {
  type Cooldown,
  CooldownBoard,
  type CooldownCause,
  cooldownFor,
  isResting,
  TRANSIENT_REST_AFTER,
  restsUntilChanged,
  startCooldown,
  UNTIL_CHANGED_MS,
} from './cooldowns.ts';
export { type Candidate, failoverOrder, type Picked, WeightedRoundRobin } from './selection.ts';
export { type UsageRecord, UsageRecorder, type UsageRecorderOptions } from './usage.ts';
export { type UsageSummary, type UsageTotals, usageSummary } from './usage-summary.ts';
