import type { IncomingMessage } from 'node:http';

/**
 * Cross-site request forgery check for cookie-authenticated requests. Browsers send
 * cookies with cross-site requests, so a state-changing request that relies on the
 * cookie must prove it comes from our own pages: its Origin (or Sec-Fetch-Site) must be
 * same-origin, and it must be JSON (which a cross-site form or a no-cors fetch cannot send).
 * Token-authenticated requests need no check: a browser never adds a bearer token by itself.
 */
export function isCrossSiteRequest(request: IncomingMessage): boolean {
  const fetchSite = request.headers['sec-fetch-site'];
  if (fetchSite && fetchSite !== 'same-origin' && fetchSite !== 'none') return true;
  const origin = request.headers.origin;
  if (origin && origin !== 'null') {
    try {
      if (new URL(origin).host !== request.headers.host) return true;
    } catch {
      return true;
    }
  } else if (origin === 'null') return true;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    const type = request.headers['content-type'] ?? '';
    if (!type.startsWith('application/json')) return true;
  }
  return false;
}
