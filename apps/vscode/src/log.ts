import * as vscode from 'vscode';

/** The extension's output channel ("Switchboard"): requests and errors, never a token or key. */
export interface Log {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  show(): void;
}

/** A log over a `LogOutputChannel`. */
export function createLog(): Log & vscode.Disposable {
  const channel = vscode.window.createOutputChannel('Switchboard', { log: true });
  return {
    info: (message) => channel.info(message),
    warn: (message) => channel.warn(message),
    error: (message) => channel.error(message),
    show: () => channel.show(true),
    dispose: () => channel.dispose(),
  };
}
