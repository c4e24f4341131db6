import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CookieJar } from '@switchboard/api';

export { SESSION_COOKIE } from '@switchboard/api';

/** Parses the Cookie header into name -> value (first occurrence wins). */
export function readCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.split(';')) {
    const equals = part.indexOf('=');
    if (equals === -1) continue;
    const name = part.slice(0, equals).trim();
    if (!cookies.has(name)) {
      try {
        cookies.set(name, decodeURIComponent(part.slice(equals + 1).trim()));
      } catch {
        // A malformed value is treated as absent.
      }
    }
  }
  return cookies;
}

/** Cookie jar writing Set-Cookie headers: HttpOnly, SameSite=Lax, Secure behind HTTPS. */
export function responseCookieJar(request: IncomingMessage, response: ServerResponse): CookieJar {
  const secure = request.headers['x-forwarded-proto'] === 'https' || 'encrypted' in request.socket;
  const attributes = `Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
  return {
    set(name, value, options) {
      response.appendHeader(
        'set-cookie',
        `${name}=${encodeURIComponent(value)}; Max-Age=${options.maxAgeSeconds}; ${attributes}`,
      );
    },
    clear(name) {
      response.appendHeader('set-cookie', `${name}=; Max-Age=0; ${attributes}`);
    },
  };
}
