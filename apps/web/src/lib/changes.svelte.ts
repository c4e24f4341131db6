import { invalidate } from '$app/navigation';
import { navigating } from '$app/state';
import { api } from './api';

/** Dependency key of every load that shows workspace data; the change feed invalidates it. */
export const WORKSPACE_DATA = 'sb:workspace';

/** State of the live connection, for the indicator in the header. */
export type LiveState = 'connecting' | 'live' | 'offline';

/**
 * Listens to a workspace's change notices and refetches what the page shows, without a reload.
 * Notices carry no data: a burst of them (an import, a busy gateway) costs one refetch.
 * Returns a function that stops listening.
 */
export function followChanges(workspaceId: string, onState: (state: LiveState) => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let me = false;
  const refetch = (alsoMe = false) => {
    me ||= alsoMe;
    clearTimeout(timer);
    timer = setTimeout(() => {
      // An invalidation started during a navigation would cancel it (SvelteKit reloads the
      // current page instead): wait for the navigation to end, then refetch.
      if (navigating.to) {
        refetch();
        return;
      }
      if (me) void invalidate('sb:me');
      me = false;
      void invalidate(WORKSPACE_DATA);
    }, 150);
  };
  onState('connecting');
  const subscription = api.changes.subscribe.subscribe(
    { workspaceId },
    {
      // Notices sent before the feed started (the page's data was loaded earlier, or the feed
      // reconnected after a drop) are not replayed: one refetch covers them.
      onStarted: () => {
        onState('live');
        refetch();
      },
      onData: (event) => {
        refetch(event.kind === 'member' || event.kind === 'workspace');
      },
      onConnectionStateChange: (state) => {
        if (state.state === 'connecting' && state.error) onState('offline');
        else if (state.state === 'pending') onState('live');
      },
      onError: () => onState('offline'),
    },
  );
  return () => {
    clearTimeout(timer);
    subscription.unsubscribe();
  };
}
