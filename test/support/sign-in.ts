import { expect } from '@jest/globals';

import type { BrowserResponse, TestBrowser } from './browser.js';
import { expectPresent } from './expect-present.js';

export interface ConsentPage {
  action: string;
  requestId: string;
  subs: string[];
}

/** Reads the emulator's consent form: its action, pending request id and the users offered. */
export function parseConsentPage(page: BrowserResponse): ConsentPage {
  expect(page.status).toBe(200);
  const action =
    /<form[^>]*method="post"[^>]*action="([^"]+)"/i.exec(page.body)?.[1] ??
    /<form[^>]*action="([^"]+)"[^>]*method="post"/i.exec(page.body)?.[1];
  const requestId =
    /name="request_id"\s+value="([^"]+)"/.exec(page.body)?.[1] ??
    /value="([^"]+)"\s+name="request_id"/.exec(page.body)?.[1];
  const subs = [...page.body.matchAll(/name="sub"[^>]*value="([^"]+)"/g)].map((match) => match[1]);
  // the consent page has a form with a request_id
  expectPresent(action);
  expectPresent(requestId);
  return {
    action: new URL(decodeEntities(action), page.url).toString(),
    requestId: decodeEntities(requestId),
    subs,
  };
}

/** Opens /auth/google (or `path`) and follows the redirect to the emulator's consent page. */
export async function openConsentPage(
  browser: TestBrowser,
  appUrl: string,
  path = '/auth/google',
): Promise<ConsentPage> {
  const start = await browser.get(`${appUrl}${path}`);
  // GET /auth/google redirects to Google
  expect(start.status).toBe(302);
  // with a Location
  expectPresent(start.location);
  return parseConsentPage(await browser.get(start.location));
}

/** Submits the consent form and returns the redirect to our callback (not followed). */
export async function answerConsent(
  browser: TestBrowser,
  consent: ConsentPage,
  decision: 'allow' | 'deny',
  sub = consent.subs[0],
): Promise<string> {
  return postConsent(browser, consent, { sub, decision });
}

/** Allows the consent form with only `grantedScopes` ticked (granular consent); returns the redirect. */
export async function answerConsentGranting(
  browser: TestBrowser,
  consent: ConsentPage,
  sub: string,
  grantedScopes: string[],
): Promise<string> {
  return postConsent(browser, consent, {
    sub,
    scope_choice: 'shown',
    granted_scope: grantedScopes.join(' '),
    decision: 'allow',
  });
}

/** Posts the consent form with these fields; returns where the emulator redirects. */
async function postConsent(
  browser: TestBrowser,
  consent: ConsentPage,
  fields: Record<string, string>,
): Promise<string> {
  const answer = await browser.postForm(consent.action, {
    request_id: consent.requestId,
    ...fields,
  });
  expect(answer.status).toBe(302);
  expectPresent(answer.location);
  return answer.location;
}

/**
 * A callback that stored nothing and sent the browser round for a refresh token (Google sent none
 * and none usable was held): completes that second consent, with prompt=consent, as `sub`. Any
 * other callback is returned as it is. `toApp` maps Google's redirect to the app's address.
 */
export async function finishConsentRound(
  browser: TestBrowser,
  callback: BrowserResponse,
  sub: string,
  toApp: (url: string) => string = (url) => url,
): Promise<BrowserResponse> {
  if (callback.status !== 303 || !callback.location) return callback;
  if (new URL(callback.location).pathname !== '/auth/google') return callback;
  const start = await browser.get(callback.location);
  expect(start.status).toBe(302);
  expectPresent(start.location);
  const consent = parseConsentPage(await browser.get(start.location));
  return browser.get(toApp(await answerConsent(browser, consent, 'allow', sub)));
}

/** The whole sign-in as a person does it; returns the callback URL used and the final page. */
export async function signIn(browser: TestBrowser, appUrl: string, sub?: string) {
  const consent = await openConsentPage(browser, appUrl);
  const chosen = sub ?? consent.subs[0];
  const callbackUrl = await answerConsent(browser, consent, 'allow', chosen);
  const callback = await finishConsentRound(browser, await browser.get(callbackUrl), chosen);
  const [, ...rest] = await browser.follow(callback);
  return { callbackUrl, callback, finalPage: rest.at(-1) ?? callback };
}

function decodeEntities(text: string): string {
  return text
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
}
