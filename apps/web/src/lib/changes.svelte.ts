import { invalidate } from '$app/navigation';
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
  const refetch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      void invalidate(WORKSPACE_DATA);
    }, 150);
  };
  onState('connecting');
  const subscription = api.changes.subscribe.subscribe(
    { workspaceId },
    {
      onStarted: () => onState('live'),
      onData: (event) => {
        if (event.kind === 'member' || event.kind === 'workspace') void invalidate('sb:me');
        refetch();
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
