import { expect } from '@jest/globals';
import type { TestBrowser } from './browser.js';
import { answerConsent, openConsentPage } from './sign-in.js';

/** The address a load balancer would serve several instances on (their PUBLIC_URL); tests play the balancer. */
export const PUBLIC_URL = 'http://tokenkeep.test';

/**
 * Signs in to an app that believes it lives at `publicUrl` (a "balancer" address, as app processes
 * and multi-instance tests use), by sending the callback to `appUrl` instead; `sub` picks the user.
 */
export async function signInBehindBalancer(
  browser: TestBrowser,
  appUrl: string,
  publicUrl: string,
  sub?: string,
): Promise<void> {
  const consent = await openConsentPage(browser, appUrl);
  const callbackUrl = await answerConsent(browser, consent, 'allow', sub);
  const callback = await browser.get(callbackUrl.replace(publicUrl, appUrl));
  // the sign-in completed: redirect home with a session
  expect(callback.status).toBe(303);
}
