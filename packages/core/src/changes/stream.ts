import type { Actor } from '../access.ts';
import type { ChangeBus, ChangeEvent } from '../changes.ts';
import type { Core } from '../core.ts';
import { authorize, type WorkspaceRef } from '../service/authorize.ts';
import { isResync } from './transport.ts';

/** Events queued for one slow subscriber before the oldest are dropped for a resync notice. */
const MAX_QUEUED = 1_000;

/**
 * The changes of one workspace as an async iterable, until `signal` aborts (a
 * subscription over SSE ends when its client goes away) or the consumer stops.
 * It listens from the moment it is called, not from the first `next()`, so no
 * change published in between is lost. A resync notice is passed on with the
 * workspace's id, so the subscriber refetches everything. Whoever calls this has
 * already checked that the caller is a member.
 */
export function workspaceChanges(
  bus: ChangeBus,
  workspaceId: string,
  signal?: AbortSignal,
): AsyncGenerator<ChangeEvent, void> {
  const queue: ChangeEvent[] = [];
  let wake: (() => void) | null = null;
  let ended = false;
  const notify = () => {
    wake?.();
    wake = null;
  };
  const unsubscribe = bus.subscribe((event) => {
    if (isResync(event)) {
      queue.push({ ...event, workspaceId });
    } else if (event.workspaceId === workspaceId) {
      queue.push(event);
    } else {
      return;
    }
    // A subscriber that stopped reading must not grow memory without bound: it gets one resync instead.
    if (queue.length > MAX_QUEUED) {
      queue.length = 0;
      queue.push({
        workspaceId,
        kind: 'workspace',
        id: null,
        action: 'changes.resync',
        at: new Date().toISOString(),
      });
    }
    notify();
  });
  const end = () => {
    if (ended) return;
    ended = true;
    unsubscribe();
    signal?.removeEventListener('abort', end);
    notify();
  };
  if (signal?.aborted) end();
  else signal?.addEventListener('abort', end, { once: true });

  return (async function* changesOfWorkspace() {
    try {
      while (!ended) {
        const next = queue.shift();
        if (next) {
          yield next;
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    } finally {
      end();
    }
  })();
}

/**
 * `workspaceChanges` for one member (any member may listen), ending the stream once they no
 * longer belong to the workspace: membership is checked again whenever members (or everything)
 * may have changed, so someone removed from a workspace stops hearing about it. Listening
 * starts as soon as the caller is authorized.
 */
export async function memberChanges(
  core: Core,
  actor: Actor,
  input: WorkspaceRef,
  signal?: AbortSignal,
): Promise<AsyncGenerator<ChangeEvent, void>> {
  const member = await authorize(core, actor, input.workspaceId, 'read');
  const source = workspaceChanges(core.changes, member.workspaceId, signal);
  return (async function* changesForMember() {
    try {
      for await (const event of source) {
        if (member.userId !== null && (event.kind === 'member' || event.kind === 'workspace')) {
          const row = await core.db
            .selectFrom('workspace_members')
            .select('id')
            .where('workspace_id', '=', member.workspaceId)
            .where('user_id', '=', member.userId)
            .executeTakeFirst();
          if (!row) return;
        }
        yield event;
      }
    } finally {
      await source.return(undefined);
    }
  })();
}
