import pg from 'pg';
import type { ChangeBus, ChangeEvent } from '../changes.ts';
import { type DatabaseHandle, postgresClientConfig } from '../db/connect.ts';
import {
  type ChangeEnvelope,
  type ChangeFeedErrorHandler,
  type ChangeTransport,
  eventOf,
  PendingWrites,
  parseEnvelope,
  resyncEvent,
} from './transport.ts';

/** Channel used when the tables live in the default schema. */
export const CHANGES_CHANNEL = 'switchboard_changes';

/**
 * NOTIFY channels are database-wide, not per schema: two deployments (or two test
 * files) in different schemas of one database must not hear each other.
 */
export function changesChannel(schema: string | undefined): string {
  if (!schema || schema === 'public') return CHANGES_CHANNEL;
  return `${CHANGES_CHANNEL}_${schema}`.slice(0, 63);
}

/** Options of the PostgreSQL transport. */
export interface PostgresTransportOptions {
  origin: string;
  onError: ChangeFeedErrorHandler;
  /** First wait before reconnecting a dropped LISTEN connection; doubles up to `maxReconnectDelayMs`. */
  reconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
}

/** `application_name` of an instance's LISTEN connection. */
export const listenerName = (origin: string): string => `switchboard-changes-${origin}`;

const quoteIdentifier = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * LISTEN/NOTIFY: each event is sent with `pg_notify` once its transaction has
 * committed (services publish after commit), and one dedicated connection per
 * instance listens and delivers other instances' events to the local bus.
 */
export async function startPostgresTransport(
  database: Extract<DatabaseHandle, { engine: 'postgres' }>,
  bus: ChangeBus,
  options: PostgresTransportOptions,
): Promise<ChangeTransport> {
  const channel = changesChannel(database.config.schema);
  const pending = new PendingWrites();
  const initialDelay = options.reconnectDelayMs ?? 100;
  const maxDelay = options.maxReconnectDelayMs ?? 5_000;
  let client: pg.Client | null = null;
  let stopped = false;
  let reconnectTimer: NodeJS.Timeout | null = null;
  let delay = initialDelay;

  const onNotification = (message: pg.Notification) => {
    if (message.channel !== channel || !message.payload) return;
    let envelope: ChangeEnvelope | null;
    try {
      envelope = parseEnvelope(JSON.parse(message.payload));
    } catch {
      envelope = null;
    }
    if (envelope && envelope.origin !== options.origin) bus.deliver(eventOf(envelope));
  };

  const connect = async (): Promise<void> => {
    // A named connection, so an operator (or a test) can find this instance's listener in pg_stat_activity.
    const next = new pg.Client({
      ...postgresClientConfig(database.config),
      application_name: listenerName(options.origin),
    });
    let dropped = false;
    const onDrop = (error?: unknown) => {
      if (dropped) return;
      dropped = true;
      if (client === next) client = null;
      next.removeAllListeners('notification');
      void next.end().catch(() => undefined);
      if (stopped) return;
      options.onError('change feed: the LISTEN connection dropped; reconnecting', error);
      scheduleReconnect();
    };
    next.on('notification', onNotification);
    next.on('error', onDrop);
    next.on('end', () => onDrop());
    try {
      await next.connect();
      await next.query(`LISTEN ${quoteIdentifier(channel)}`);
    } catch (error) {
      dropped = true;
      next.removeAllListeners();
      next.on('error', () => undefined);
      await next.end().catch(() => undefined);
      throw error;
    }
    if (stopped) {
      dropped = true;
      await next.end().catch(() => undefined);
      return;
    }
    client = next;
  };

  const scheduleReconnect = () => {
    if (stopped || reconnectTimer) return;
    reconnectTimer = setTimeout(async () => {
      reconnectTimer = null;
      try {
        await connect();
        delay = initialDelay;
        // Whatever was published while we were deaf is lost: tell caches and clients to refetch.
        if (!stopped) bus.deliver(resyncEvent());
      } catch (error) {
        delay = Math.min(delay * 2, maxDelay);
        options.onError('change feed: reconnecting the LISTEN connection failed; retrying', error);
        scheduleReconnect();
      }
    }, delay);
    reconnectTimer.unref();
  };

  await connect();

  return {
    send(event: ChangeEvent) {
      if (stopped) return;
      const envelope: ChangeEnvelope = { ...event, origin: options.origin };
      pending.track(
        database.pool
          .query('select pg_notify($1, $2)', [channel, JSON.stringify(envelope)])
          .catch((error: unknown) => options.onError('change feed: NOTIFY failed', error)),
      );
    },
    async stop() {
      stopped = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      reconnectTimer = null;
      await pending.drain();
      const current = client;
      client = null;
      if (current) {
        current.removeAllListeners('notification');
        await current.end().catch(() => undefined);
      }
    },
  };
}
