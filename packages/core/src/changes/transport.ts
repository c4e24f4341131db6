import type { ChangeEvent, ChangeKind } from '../changes.ts';
import { randomBase32 } from '../ids.ts';

/** A running cross-process transport: sends local events out, delivers remote ones to the bus. */
export interface ChangeTransport {
  /** Hands a locally published event to the other instances or processes. */
  send(event: ChangeEvent): void;
  /** Stops listening and polling, after writes already started have finished. */
  stop(): Promise<void>;
}

/** Where transport failures go (a lost connection, a failed write); they never reach callers of `publish`. */
export type ChangeFeedErrorHandler = (message: string, error: unknown) => void;

/** What travels between instances: the event plus the instance that published it. */
export interface ChangeEnvelope extends ChangeEvent {
  /** Instance id of the publisher, so an instance ignores its own events. */
  origin: string;
}

/**
 * Workspace id of the resync notice. After a gap in delivery (a dropped LISTEN
 * connection), events may have been missed: caches should forget everything and
 * clients refetch what they show.
 */
export const RESYNC_WORKSPACE_ID = '*';

/** Whether an event is the resync notice rather than a change of one workspace. */
export const isResync = (event: ChangeEvent): boolean => event.workspaceId === RESYNC_WORKSPACE_ID;

/** The resync notice, delivered locally after a gap. */
export function resyncEvent(): ChangeEvent {
  return {
    workspaceId: RESYNC_WORKSPACE_ID,
    kind: 'workspace',
    id: null,
    action: 'changes.resync',
    at: new Date().toISOString(),
  };
}

/** A new random instance id (one per running feed). */
export const newOriginId = (): string => `ins_${randomBase32(16)}`;

const KINDS: ReadonlySet<string> = new Set<ChangeKind>([
  'workspace',
  'member',
  'api-key',
  'provider',
  'credential',
  'model',
  'default',
  'load-balancing',
  'cooldown',
  'master-key',
  'sign-in',
]);

/** Reads an envelope written by another instance; anything malformed is dropped rather than delivered. */
export function parseEnvelope(value: unknown): ChangeEnvelope | null {
  if (!value || typeof value !== 'object') return null;
  const record = value as Record<string, unknown>;
  const { workspaceId, kind, id, action, at, origin } = record;
  if (typeof workspaceId !== 'string' || typeof kind !== 'string' || !KINDS.has(kind)) return null;
  if (id !== null && typeof id !== 'string') return null;
  if (typeof action !== 'string' || typeof at !== 'string' || typeof origin !== 'string') return null;
  return { workspaceId, kind: kind as ChangeKind, id, action, at, origin };
}

/** The event without its envelope, as local listeners receive it. */
export function eventOf(envelope: ChangeEnvelope): ChangeEvent {
  return {
    workspaceId: envelope.workspaceId,
    kind: envelope.kind,
    id: envelope.id,
    action: envelope.action,
    at: envelope.at,
  };
}

/** Tracks fire-and-forget writes so that `stop` can wait for them. */
export class PendingWrites {
  readonly #pending = new Set<Promise<unknown>>();

  track(write: Promise<unknown>): void {
    const settled = write.then(
      () => undefined,
      () => undefined,
    );
    this.#pending.add(settled);
    void settled.then(() => this.#pending.delete(settled));
  }

  async drain(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }
}
