export { type ChangeFeed, type ChangeFeedOptions, openChangeFeed, startChangeFeed } from './feed.ts';
export { CHANGES_CHANNEL, changesChannel, listenerName } from './postgres-transport.ts';
export { memberChanges, workspaceChanges } from './stream.ts';
export { type ChangeFeedErrorHandler, isResync, RESYNC_WORKSPACE_ID } from './transport.ts';
