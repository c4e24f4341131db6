import type { Core, Permission } from '@switchboard/core';

/** Who made the request, as established by the transport (session cookie or bearer token). */
export interface Authentication {
  userId: string;
  via: 'session' | 'token';
  /** Session id, when signed in by cookie (logout ends it). */
  sessionId?: string;
  /** Personal access token id, when signed in by token. */
  tokenId?: string;
  /** The token's scopes, when signed in by a scoped token: it may do only what they and the role allow. */
  scopes?: readonly Permission[] | undefined;
}

/** Cookie options the transports understand. */
export interface CookieOptions {
  maxAgeSeconds: number;
}

/** Lets procedures set the session cookie without knowing the transport. */
export interface CookieJar {
  set(name: string, value: string, options: CookieOptions): void;
  clear(name: string): void;
}

/** Context every procedure gets. Tests build it directly (no request): see `createInnerContext`. */
export interface ApiContext {
  core: Core;
  auth: Authentication | null;
  cookies: CookieJar;
  /** Client address, for login throttling; `local` in tests. */
  clientAddress: string;
}

/** A cookie jar that only remembers, for `createCaller` tests and the CLI. */
export function memoryCookieJar(): CookieJar & { values: Map<string, string> } {
  const values = new Map<string, string>();
  return {
    values,
    set: (name, value) => void values.set(name, value),
    clear: (name) => void values.delete(name),
  };
}

/** The inner context: what a procedure needs, without HTTP. */
export function createInnerContext(options: {
  core: Core;
  auth?: Authentication | null;
  cookies?: CookieJar;
  clientAddress?: string;
}): ApiContext {
  return {
    core: options.core,
    auth: options.auth ?? null,
    cookies: options.cookies ?? memoryCookieJar(),
    clientAddress: options.clientAddress ?? 'local',
  };
}
