import type { IncomingHttpHeaders } from 'node:http';

/**
 * The rule for requests that change state: an `Origin` header, when present, must be our own. A
 * browser sends `Origin` with every cross-origin request that could change state, so a request
 * without one comes from a client that is not a browser (curl, a server), which must hold the
 * credential itself: no other site can make a browser send it.
 */
export function isForeignOrigin(origin: string | undefined, ownOrigin: string): boolean {
  return origin !== undefined && origin !== ownOrigin;
}

/**
 * The same rule for a form a browser posts. Under `Referrer-Policy: no-referrer` (our pages') a
 * browser sends `Origin: null` even with our own forms; its `Sec-Fetch-Site`, which no page can
 * set, then says whether the form was ours. Where a browser sends Sec-Fetch-Site, only
 * `same-origin` passes, so sibling subdomains and other ports are refused too.
 */
export function isForeignFormPost(headers: IncomingHttpHeaders, ownOrigin: string): boolean {
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return true;
  if (headers.origin === 'null') return site !== 'same-origin';
  return isForeignOrigin(headers.origin, ownOrigin);
}
