import * as vscode from 'vscode';

/** The configuration section and the one setting the extension reads. */
const SECTION = 'switchboard';
const SERVER_URL = 'serverUrl';
const DEFAULT_SERVER_URL = 'http://127.0.0.1:8787';

/** The server URL from settings, without trailing slashes; throws a message naming the setting when it is not a URL. */
export function serverUrl(): string {
  const value = vscode.workspace.getConfiguration(SECTION).get<string>(SERVER_URL, DEFAULT_SERVER_URL).trim();
  return normalizeServerUrl(value);
}

/** `http(s)://host[:port][/path]` without trailing slashes, or an error naming the setting. */
export function normalizeServerUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(vscode.l10n.t('Setting switchboard.serverUrl is not a URL: "{0}"', value));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(vscode.l10n.t('Setting switchboard.serverUrl must start with http:// or https://'));
  return url.toString().replace(/\/+$/, '');
}

/** Fires when the server URL setting changes. */
export function onDidChangeServerUrl(listener: () => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((event) => {
    if (event.affectsConfiguration(`${SECTION}.${SERVER_URL}`)) listener();
  });
}
