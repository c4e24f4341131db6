import type * as vscode from 'vscode';

/** Owns disposables: everything `register`ed goes when this object is disposed. */
export abstract class Disposable implements vscode.Disposable {
  #disposables: vscode.Disposable[] = [];
  #disposed = false;

  /** Keeps `disposable` until this object is disposed (at once when it already is). */
  protected register<T extends vscode.Disposable>(disposable: T): T {
    if (this.#disposed) disposable.dispose();
    else this.#disposables.push(disposable);
    return disposable;
  }

  /** Whether `dispose` ran. */
  protected get isDisposed(): boolean {
    return this.#disposed;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    // Last registered first: listeners go before the emitters they listen to.
    for (const disposable of this.#disposables.reverse()) disposable.dispose();
    this.#disposables = [];
  }
}
