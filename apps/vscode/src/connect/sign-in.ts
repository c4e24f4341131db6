import { hostname } from 'node:os';
import { createSwitchboardClient } from '@switchboard/client';
import { TRPCClientError } from '@trpc/client';
import * as vscode from 'vscode';
import { describeFailure, type Failure } from '../errors.ts';

/** How the user signs in. */
export type SignInMethod = 'token' | 'password';

/** What the sign-in prompts collected. */
export type SignInAnswer =
  | { method: 'token'; token: string }
  | { method: 'password'; email: string; password: string };

/** Makes a personal access token from an email and password: `auth.createToken` (injectable for tests). */
export type TokenIssuer = (
  url: string,
  input: { email: string; password: string; name: string },
) => Promise<{ token: string; tokenId: string }>;

/** Asks the server for a token; the server names it, throttles the attempt and sets its expiry (90 days). */
export const issueTokenOnServer: TokenIssuer = async (url, input) => {
  const created = await createSwitchboardClient({ url }).auth.createToken.mutate(input);
  return { token: created.token, tokenId: created.view.id };
};

/** Revokes a token with itself (`tokens.revoke`), at sign-out of a token this editor made. */
export type TokenRevoker = (url: string, token: string, tokenId: string) => Promise<void>;

/** Revokes the token on the server. */
export const revokeTokenOnServer: TokenRevoker = async (url, token, tokenId) => {
  await createSwitchboardClient({ url, token }).tokens.revoke.mutate({ tokenId });
};

const TOKEN_PATTERN = /^sbp_[A-Za-z0-9_-]{8,}$/;
const TOKEN_NAME_LIMIT = 100;

/** The name of a token made by a password sign-in: which editor on which machine, as the console lists it. */
export function tokenName(appName: string = vscode.env.appName, machine: string = hostname()): string {
  return `${appName} on ${machine}`.slice(0, TOKEN_NAME_LIMIT);
}

/** A method quick pick, then the method's input boxes; undefined when the user cancels any of them. */
export async function askSignIn(
  url: string,
  lastMethod: SignInMethod | undefined,
): Promise<SignInAnswer | undefined> {
  const methods: (vscode.QuickPickItem & { method: SignInMethod })[] = [
    {
      label: vscode.l10n.t('Personal access token'),
      detail: vscode.l10n.t('A token (sbp_…) from `pnpm switchboard token create` or the console'),
      method: 'token',
    },
    {
      label: vscode.l10n.t('Email and password'),
      detail: vscode.l10n.t(
        'Makes a token named "{0}" for this editor, kept in its secret storage',
        tokenName(),
      ),
      method: 'password',
    },
  ];
  // The method used last comes first: Retry after a typo is then one Enter away.
  if (lastMethod === 'password') methods.reverse();
  const picked = await vscode.window.showQuickPick(methods, {
    title: vscode.l10n.t('Sign in to Switchboard at {0}', url),
    placeHolder: vscode.l10n.t('How do you want to sign in?'),
    ignoreFocusOut: true,
  });
  if (!picked) return undefined;
  if (picked.method === 'token') {
    const token = await vscode.window.showInputBox({
      title: vscode.l10n.t('Sign in to Switchboard at {0}', url),
      prompt: vscode.l10n.t(
        'A personal access token (sbp_…): `pnpm switchboard token create`, or the console.',
      ),
      placeHolder: 'sbp_…',
      password: true,
      ignoreFocusOut: true,
      validateInput: (value) =>
        TOKEN_PATTERN.test(value.trim())
          ? undefined
          : vscode.l10n.t('A personal access token starts with sbp_'),
    });
    return token ? { method: 'token', token: token.trim() } : undefined;
  }
  const email = await vscode.window.showInputBox({
    title: vscode.l10n.t('Sign in to Switchboard at {0}', url),
    prompt: vscode.l10n.t('Email'),
    placeHolder: 'you@example.com',
    ignoreFocusOut: true,
    validateInput: (value) => (value.includes('@') ? undefined : vscode.l10n.t('An email address has an @')),
  });
  if (!email) return undefined;
  const password = await vscode.window.showInputBox({
    title: vscode.l10n.t('Sign in to Switchboard at {0}', url),
    prompt: vscode.l10n.t('Password of {0}', email.trim()),
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) => (value ? undefined : vscode.l10n.t('Type the password')),
  });
  return password ? { method: 'password', email: email.trim(), password } : undefined;
}

/** Why a password sign-in failed, in words the user can act on (never the password). */
export function describePasswordFailure(error: unknown, url: string): Failure {
  if (error instanceof TRPCClientError) {
    const code = (error.data as { code?: string } | undefined)?.code;
    if (code === 'UNAUTHORIZED')
      return { kind: 'unauthorized', message: vscode.l10n.t('Wrong email or password for {0}.', url) };
    if (code === 'TOO_MANY_REQUESTS')
      return {
        kind: 'throttled',
        message: vscode.l10n.t(
          'Too many sign-in attempts at {0}: {1}.',
          url,
          error.message.replace(/\.$/, ''),
        ),
      };
  }
  return describeFailure(error, url);
}
