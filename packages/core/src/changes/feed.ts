import type { Core } from '../core.ts';
import { startPostgresTransport } from './postgres-transport.ts';
import { startSqliteTransport } from './sqlite-transport.ts';
import { type ChangeFeedErrorHandler, type ChangeTransport, newOriginId } from './transport.ts';

/** Tuning of the change feed; the defaults suit a server and the CLI. */
export interface ChangeFeedOptions {
  /** SQLite: how often to check for other processes' writes (default 200 ms). */
  pollIntervalMs?: number;
  /** SQLite: how long outbox rows are kept (default 10 minutes). */
  retentionMs?: number;
  /** PostgreSQL: first reconnect delay of the LISTEN connection (default 100 ms, doubling up to 5 s). */
  reconnectDelayMs?: number;
  /** Where transport failures are reported (default: one line on stderr, without the event). */
  onError?: ChangeFeedErrorHandler;
}

/** A running change feed. */
export interface ChangeFeed {
  /** This instance's id; events carrying it are its own and are not delivered back. */
  origin: string;
  stop(): Promise<void>;
}

const logError: ChangeFeedErrorHandler = (message, error) => {
  console.error(`${message}: ${error instanceof Error ? error.message : String(error ?? '')}`);
};

/**
 * Connects the core's ChangeBus to the other instances (PostgreSQL LISTEN/NOTIFY)
 * or processes (SQLite outbox polled through `data_version`). Returns the feed;
 * `startChangeFeed` is the shorthand the server and the CLI use.
 */
export async function openChangeFeed(core: Core, options: ChangeFeedOptions = {}): Promise<ChangeFeed> {
  const origin = newOriginId();
  const onError = options.onError ?? logError;
  const database = core.database;
  const transport: ChangeTransport =
    database.engine === 'postgres'
      ? await startPostgresTransport(database, core.changes, {
          origin,
          onError,
          ...(options.reconnectDelayMs !== undefined ? { reconnectDelayMs: options.reconnectDelayMs } : {}),
        })
      : await startSqliteTransport(database, core.changes, {
          origin,
          onError,
          ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
          ...(options.retentionMs !== undefined ? { retentionMs: options.retentionMs } : {}),
        });
  core.changes.setTransport((event) => transport.send(event));
  let stopping: Promise<void> | undefined;
  return {
    origin,
    stop() {
      stopping ??= (async () => {
        core.changes.setTransport(undefined);
        await transport.stop();
      })();
      return stopping;
    },
  };
}

/**
 * Starts the change feed for a Core; call the returned function before `core.close()`
 * (it waits for events still being sent, so a CLI run's changes reach the server).
 */
export async function startChangeFeed(
  core: Core,
  options: ChangeFeedOptions = {},
): Promise<() => Promise<void>> {
  const feed = await openChangeFeed(core, options);
  return () => feed.stop();
}
