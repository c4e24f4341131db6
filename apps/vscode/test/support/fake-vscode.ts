// A small fake of the `vscode` module for unit tests (vitest aliases `vscode` to this file).
// Only what the extension uses. Prompts answer from queues the test fills; messages, commands,
// context keys and status bar items are recorded for assertions.

type Listener<T> = (value: T) => unknown;

export class Disposable {
  constructor(private readonly callback: () => void) {}
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => {
      for (const item of items) item.dispose();
    });
  }
  dispose(): void {
    this.callback();
  }
}

export class EventEmitter<T> {
  #listeners = new Set<Listener<T>>();
  event = (listener: Listener<T>) => {
    this.#listeners.add(listener);
    return new Disposable(() => this.#listeners.delete(listener));
  };
  fire(value: T): void {
    for (const listener of [...this.#listeners]) listener(value);
  }
  dispose(): void {
    this.#listeners.clear();
  }
}

export class CancellationError extends Error {
  constructor() {
    super('Canceled');
    this.name = 'Canceled';
  }
}

export enum TreeItemCollapsibleState {
  None = 0,
  Collapsed = 1,
  Expanded = 2,
}
export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}
export enum ProgressLocation {
  SourceControl = 1,
  Window = 10,
  Notification = 15,
}

export class ThemeColor {
  constructor(readonly id: string) {}
}
export class ThemeIcon {
  constructor(
    readonly id: string,
    readonly color?: ThemeColor,
  ) {}
}
export class TreeItem {
  id?: string;
  description?: string;
  tooltip?: string;
  contextValue?: string;
  iconPath?: ThemeIcon;
  constructor(
    readonly label: string,
    readonly collapsibleState?: TreeItemCollapsibleState,
  ) {}
}

export const l10n = {
  t(message: string, ...args: unknown[]): string {
    return message.replace(/\{(\d+)\}/g, (_, index: string) => String(args[Number(index)]));
  },
};

/** A message the extension showed. */
export interface ShownMessage {
  kind: 'info' | 'warning' | 'error';
  text: string;
  actions: string[];
  modal: boolean;
}

/** Answers to prompts, taken in order; a prompt with no answer queued gets undefined (cancel). */
export const answers = {
  quickPick: [] as (string | undefined)[],
  inputBox: [] as (string | undefined)[],
  /** The action chosen for the next message that offers actions. */
  message: [] as (string | undefined)[],
};

/** What the extension did, for assertions. */
export const recorded = {
  messages: [] as ShownMessage[],
  quickPicks: [] as { title: string | undefined; labels: string[] }[],
  inputBoxes: [] as { password: boolean; validation: (value: string) => unknown }[],
  contexts: new Map<string, unknown>(),
  statusItems: [] as FakeStatusBarItem[],
  documents: [] as FakeDocument[],
  /** Every line written to an output channel. */
  log: [] as string[],
  /** Commands run through `executeCommand` (setContext aside), with their arguments. */
  executed: [] as { id: string; args: unknown[] }[],
};

/** Settings by full key (`switchboard.serverUrl`). */
export const settings = new Map<string, unknown>();
const configurationChanges = new EventEmitter<{ affectsConfiguration(section: string): boolean }>();
const commands = new Map<string, (...args: unknown[]) => unknown>();

/** Clears everything between tests. */
export function resetFake(): void {
  answers.quickPick.length = 0;
  answers.inputBox.length = 0;
  answers.message.length = 0;
  recorded.messages.length = 0;
  recorded.quickPicks.length = 0;
  recorded.inputBoxes.length = 0;
  recorded.contexts.clear();
  recorded.statusItems.length = 0;
  recorded.documents.length = 0;
  recorded.log.length = 0;
  recorded.executed.length = 0;
  settings.clear();
  commands.clear();
}

/** Changes a setting and fires the change event. */
export function changeSetting(key: string, value: unknown): void {
  settings.set(key, value);
  configurationChanges.fire({
    affectsConfiguration: (section) => key === section || key.startsWith(`${section}.`),
  });
}

/** Waits until `predicate` holds (the extension works asynchronously). */
export async function until(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

class FakeStatusBarItem {
  text = '';
  tooltip: unknown;
  command: unknown;
  name: string | undefined;
  backgroundColor: unknown;
  visible = false;
  show(): void {
    this.visible = true;
  }
  hide(): void {
    this.visible = false;
  }
  dispose(): void {}
}

class FakeDocument {
  constructor(public text: string) {}
  get lineCount(): number {
    return this.text.split('\n').length;
  }
  lineAt(): { range: { end: 'end' } } {
    return { range: { end: 'end' } };
  }
  getText(): string {
    return this.text;
  }
}

function message(kind: ShownMessage['kind']) {
  return async (text: string, ...rest: unknown[]): Promise<string | undefined> => {
    const options =
      typeof rest[0] === 'object' && rest[0] !== null ? (rest.shift() as { modal?: boolean }) : {};
    const actions = rest.filter((item): item is string => typeof item === 'string');
    recorded.messages.push({ kind, text, actions, modal: options.modal === true });
    return actions.length > 0 ? answers.message.shift() : undefined;
  };
}

export const window = {
  showInformationMessage: message('info'),
  showWarningMessage: message('warning'),
  showErrorMessage: message('error'),
  async showQuickPick<T extends { label: string }>(items: T[] | Promise<T[]>, options?: { title?: string }) {
    const resolved = await items;
    recorded.quickPicks.push({ title: options?.title, labels: resolved.map((item) => item.label) });
    const wanted = answers.quickPick.shift();
    return wanted === undefined ? undefined : resolved.find((item) => item.label.includes(wanted));
  },
  async showInputBox(options: { password?: boolean; validateInput?: (value: string) => unknown }) {
    recorded.inputBoxes.push({
      password: options.password === true,
      validation: options.validateInput ?? (() => undefined),
    });
    const answer = answers.inputBox.shift();
    if (answer !== undefined && options.validateInput?.(answer)) return undefined;
    return answer;
  },
  withProgress<R>(_options: unknown, task: () => Promise<R>): Promise<R> {
    return task();
  },
  createOutputChannel() {
    const lines = recorded.log;
    return {
      lines,
      info: (line: string) => lines.push(line),
      warn: (line: string) => lines.push(line),
      error: (line: string) => lines.push(line),
      show: () => undefined,
      dispose: () => undefined,
    };
  },
  createStatusBarItem() {
    const item = new FakeStatusBarItem();
    recorded.statusItems.push(item);
    return item;
  },
  createTreeView(_id: string, options: { treeDataProvider: unknown }) {
    return {
      ...options,
      message: undefined as string | undefined,
      description: undefined as string | undefined,
      dispose() {},
    };
  },
  async showTextDocument(document: FakeDocument) {
    return {
      document,
      async edit(callback: (builder: { insert(at: unknown, text: string): void }) => void) {
        callback({ insert: (_at, text) => (document.text += text) });
        return true;
      },
    };
  },
};

export const workspace = {
  getConfiguration(section: string) {
    return {
      get<T>(key: string, fallback: T): T {
        const value = settings.get(`${section}.${key}`);
        return value === undefined ? fallback : (value as T);
      },
    };
  },
  onDidChangeConfiguration: configurationChanges.event,
  async openTextDocument(options: { content?: string }) {
    const document = new FakeDocument(options.content ?? '');
    recorded.documents.push(document);
    return document;
  },
};

export const commandsApi = {
  registerCommand(id: string, callback: (...args: unknown[]) => unknown) {
    if (commands.has(id)) throw new Error(`command ${id} already registered`);
    commands.set(id, callback);
    return new Disposable(() => commands.delete(id));
  },
  async executeCommand(id: string, ...args: unknown[]) {
    if (id === 'setContext') {
      recorded.contexts.set(String(args[0]), args[1]);
      return undefined;
    }
    recorded.executed.push({ id, args });
    const command = commands.get(id);
    return command?.(...args);
  },
};
export { commandsApi as commands };

export const authentication = {
  registerAuthenticationProvider: () => new Disposable(() => undefined),
};

/** An in-memory SecretStorage; `failing` makes every call throw, as without an OS keyring. */
export class FakeSecretStorage {
  readonly values = new Map<string, string>();
  failing = false;
  readonly #changes = new EventEmitter<{ key: string }>();
  onDidChange = this.#changes.event;
  async get(key: string) {
    if (this.failing) throw new Error('no keyring available');
    return this.values.get(key);
  }
  async store(key: string, value: string) {
    if (this.failing) throw new Error('no keyring available');
    this.values.set(key, value);
    this.#changes.fire({ key });
  }
  async delete(key: string) {
    if (this.failing) throw new Error('no keyring available');
    this.values.delete(key);
    this.#changes.fire({ key });
  }
}

/** An in-memory Memento (workspaceState). */
export class FakeMemento {
  readonly values = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }
  async update(key: string, value: unknown) {
    this.values.set(key, value);
  }
  keys() {
    return [...this.values.keys()];
  }
}

/** The editor's name and version, as `vscode.env.appName` and `vscode.version` give them. */
export const env = { appName: 'Visual Studio Code' };
export const version = '1.100.0-fake';

/** `vscode.lm` of VS Code 1.100: no language model provider API (tests pass their own to the feature). */
export const lm = {};

export enum LanguageModelChatMessageRole {
  User = 1,
  Assistant = 2,
}
export enum LanguageModelChatToolMode {
  Auto = 1,
  Required = 2,
}
export class LanguageModelTextPart {
  constructor(public value: string) {}
}
export class LanguageModelToolCallPart {
  constructor(
    public callId: string,
    public name: string,
    public input: object,
  ) {}
}
export class LanguageModelToolResultPart {
  constructor(
    public callId: string,
    public content: unknown[],
  ) {}
}

/** A cancellation token the test controls. */
export class CancellationTokenSource {
  readonly #cancel = new EventEmitter<void>();
  readonly token = {
    isCancellationRequested: false,
    onCancellationRequested: this.#cancel.event,
  };
  cancel(): void {
    this.token.isCancellationRequested = true;
    this.#cancel.fire();
  }
  dispose(): void {}
}

/** A `vscode.lm` of VS Code 1.104 and later: records the providers registered. */
export function fakeLanguageModelApi() {
  const providers = new Map<string, unknown>();
  return {
    providers,
    registerLanguageModelChatProvider(vendor: string, provider: unknown) {
      if (providers.has(vendor)) throw new Error(`vendor ${vendor} already registered`);
      providers.set(vendor, provider);
      return new Disposable(() => providers.delete(vendor));
    },
  };
}
