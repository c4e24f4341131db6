import {
  createExtension,
  type Extension,
  type ExtensionContextParts,
  type ExtensionOptions,
} from '../../src/extension.ts';
import { FakeMemento, FakeSecretStorage, resetFake, settings, until } from './fake-vscode.ts';
import type { SwitchboardFixture } from './switchboard.ts';

/** The extension created over fake VS Code storage, as `activate` creates it. */
export interface Harness {
  extension: Extension;
  secrets: FakeSecretStorage;
  memento: FakeMemento;
  /** Disposes everything the extension registered. */
  dispose(): void;
}

/** Creates the extension pointed at `url` (no sign-in yet). */
export function createHarness(
  url: string,
  memento = new FakeMemento(),
  secrets = new FakeSecretStorage(),
  options: ExtensionOptions = {},
): Harness {
  resetFake();
  settings.set('switchboard.serverUrl', url);
  const subscriptions: { dispose(): unknown }[] = [];
  const context = { secrets, workspaceState: memento, subscriptions } as unknown as ExtensionContextParts;
  const extension = createExtension(context, options);
  return {
    extension,
    secrets,
    memento,
    dispose() {
      for (const disposable of subscriptions.reverse()) disposable.dispose();
    },
  };
}

/** The extension signed in with the fixture's owner token and showing its workspace. */
export async function connectedHarness(
  fixture: SwitchboardFixture,
  options: ExtensionOptions = {},
): Promise<Harness> {
  const harness = createHarness(fixture.url, undefined, undefined, options);
  await harness.extension.auth.signInWithToken(fixture.url, fixture.token);
  await until(() => harness.extension.data.snapshot !== undefined);
  return harness;
}
