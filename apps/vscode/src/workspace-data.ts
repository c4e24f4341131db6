import type { RouterOutputs } from '@switchboard/client';
import * as vscode from 'vscode';
import { allows } from './connect/access.ts';
import type { Connected, Connection } from './connect/connection.ts';
import { Disposable } from './disposable.ts';
import type { Log } from './log.ts';

/** An installed provider with its provider credentials (masked). */
export type ProviderView = RouterOutputs['providers']['list'][number];
/** A model of the workspace with its status. */
export type ModelView = RouterOutputs['models']['list'][number];
/** A credential, secrets masked. */
export type CredentialView = ProviderView['credentials'][number];
/** A custom model's key ring, removed models included. */
export type CustomModelCredentials = RouterOutputs['models']['manageCredentials'][number];
/** The default model of each type. */
export type Defaults = RouterOutputs['defaults']['get'];
/** A change notice of the feed. */
export type ChangeNotice = { kind: string; id: string | null; action: string; at: string };

/** Everything the views show of one workspace, read together. */
export interface Snapshot {
  workspaceId: string;
  /** The principal may manage the workspace (role and token scopes): the rows offer its actions. */
  canManage: boolean;
  providers: ProviderView[];
  models: ModelView[];
  defaults: Defaults;
  /** Custom models' own credentials, by provider id. */
  customCredentials: Record<string, CustomModelCredentials[]>;
}

/** What a refresh brought: the new snapshot, the one before, and the notices that caused it. */
export interface SnapshotChange {
  snapshot: Snapshot | undefined;
  previous: Snapshot | undefined;
  notices: ChangeNotice[];
}

/** Waits this long after a change notice for the others of the same burst, then reads once. */
const REFRESH_DELAY_MS = 150;

/** Reads a workspace's providers, models and defaults. */
export async function loadSnapshot(connected: Connected): Promise<Snapshot> {
  const { client, workspace } = connected;
  const workspaceId = workspace.id;
  // One HTTP request: the client batches calls made in the same tick.
  const [providers, models, defaults] = await Promise.all([
    client.providers.list.query({ workspaceId }),
    client.models.list.query({ workspaceId }),
    client.defaults.get.query({ workspaceId }),
  ]);
  const customizable = providers.filter((provider) => provider.configurationMethods.includes('customizable'));
  const rings = await Promise.all(
    customizable.map((provider) =>
      client.models.manageCredentials.query({ workspaceId, provider: provider.id }),
    ),
  );
  const customCredentials: Record<string, CustomModelCredentials[]> = {};
  customizable.forEach((provider, index) => {
    customCredentials[provider.id] = rings[index] ?? [];
  });
  return {
    workspaceId,
    canManage: allows(connected.access, 'manage'),
    providers,
    models,
    defaults,
    customCredentials,
  };
}

/** One connected workspace's data, kept current by the change feed. */
class LiveWorkspace extends Disposable {
  snapshot: Snapshot | undefined;
  #pending: ChangeNotice[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #reading: Promise<void> = Promise.resolve();
  #started = false;

  constructor(
    /** Replaced when the role or scopes change on the same connection. */
    public connected: Connected,
    private readonly onChange: (change: SnapshotChange) => void,
    private readonly onFailure: (error: unknown) => void,
    /** A member or workspace notice: the role (or the membership) may have changed. */
    private readonly onMembersChanged: () => void,
    private readonly log: Log,
  ) {
    super();
    const subscription = connected.client.changes.subscribe.subscribe(
      { workspaceId: connected.workspace.id },
      {
        // Also after a reconnect: notices sent while the feed was down are lost, so read everything.
        onStarted: () => {
          // Lost notices may include a role change: the access is read again too.
          if (this.#started) this.onMembersChanged();
          this.#started = true;
          this.#schedule();
        },
        onData: (notice) => {
          if (notice.kind === 'member' || notice.kind === 'workspace') this.onMembersChanged();
          this.#schedule(notice as ChangeNotice);
        },
        onError: (error) => {
          this.log.warn(`change feed: ${error instanceof Error ? error.message : String(error)}`);
          this.onFailure(error);
        },
      },
    );
    this.register({ dispose: () => subscription.unsubscribe() });
    this.register({ dispose: () => clearTimeout(this.#timer) });
  }

  /** Reads now (after any read in progress); resolves when the views have the result. */
  refresh(notices: ChangeNotice[] = []): Promise<void> {
    const read = this.#reading.then(async () => {
      if (this.isDisposed) return;
      try {
        const next = await loadSnapshot(this.connected);
        if (this.isDisposed) return;
        const previous = this.snapshot;
        this.snapshot = next;
        this.onChange({ snapshot: next, previous, notices });
      } catch (error) {
        if (this.isDisposed) return;
        this.log.warn(`refresh: ${error instanceof Error ? error.message : String(error)}`);
        this.onFailure(error);
      }
    });
    this.#reading = read;
    return read;
  }

  #schedule(notice?: ChangeNotice): void {
    if (notice) this.#pending.push(notice);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      const notices = this.#pending;
      this.#pending = [];
      void this.refresh(notices);
    }, REFRESH_DELAY_MS);
  }
}

/**
 * The current workspace's data for every view: follows the connection (a new workspace or
 * token starts over) and fires after each read.
 */
export class WorkspaceData extends Disposable {
  readonly #changes = this.register(new vscode.EventEmitter<SnapshotChange>());
  /** Fires after every read, and with `snapshot: undefined` when disconnected. */
  readonly onDidChange = this.#changes.event;
  #live: LiveWorkspace | undefined;

  constructor(
    private readonly connection: Connection,
    private readonly log: Log,
  ) {
    super();
    this.register(connection.onDidChange(() => this.#follow()));
    this.register({ dispose: () => this.#live?.dispose() });
    this.#follow();
  }

  /** The last snapshot read, if connected. */
  get snapshot(): Snapshot | undefined {
    return this.#live?.snapshot;
  }

  /** Reads again now; resolves when the views have the result. */
  async refresh(): Promise<void> {
    await this.#live?.refresh();
  }

  #follow(): void {
    const connected = this.connection.connected;
    if (
      this.#live &&
      connected &&
      this.#live.connected.workspace.id === connected.workspace.id &&
      this.#live.connected.client === connected.client
    ) {
      // Same connection, new role or scopes: read again so the rows offer what is now allowed.
      if (this.#live.connected !== connected) {
        this.#live.connected = connected;
        void this.#live.refresh();
      }
      return;
    }
    const previous = this.#live?.snapshot;
    this.#live?.dispose();
    this.#live = undefined;
    if (previous) this.#changes.fire({ snapshot: undefined, previous, notices: [] });
    if (!connected) return;
    this.#live = new LiveWorkspace(
      connected,
      (change) => this.#changes.fire(change),
      (error) => this.connection.reportFailure(error),
      () => void this.connection.refreshAccess(),
      this.log,
    );
  }
}
