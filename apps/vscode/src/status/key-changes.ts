import type { Snapshot } from '../workspace-data.ts';
import { switchTargets } from '../switch/switch-targets.ts';

/** One target's active key changed between two reads. */
export interface ActiveKeyChange {
  targetKey: string;
  targetLabel: string;
  credentialId: string;
  name: string;
  /** The key active before; undefined when there was none. */
  previousName: string | undefined;
}

/** Targets whose active key is another one than before (new targets and keys removed do not count). */
export function activeKeyChanges(previous: Snapshot, next: Snapshot): ActiveKeyChange[] {
  if (previous.workspaceId !== next.workspaceId) return [];
  const before = new Map(switchTargets(previous).map((target) => [target.key, target]));
  const changes: ActiveKeyChange[] = [];
  for (const target of switchTargets(next)) {
    const old = before.get(target.key);
    if (!old || !target.active || old.active?.id === target.active.id) continue;
    // The old active key is gone: a removal made another active, which is not a switch.
    if (old.active && !target.credentials.some((credential) => credential.id === old.active?.id)) continue;
    changes.push({
      targetKey: target.key,
      targetLabel: target.label,
      credentialId: target.active.id,
      name: target.active.name,
      previousName: old.active?.name,
    });
  }
  return changes;
}
