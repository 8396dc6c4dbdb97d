import { afterEach, describe, expect, it } from '@jest/globals';
import { TestBrowser } from './support/browser.js';
import { clearFaults, emulatorStats, injectFault } from './support/emulator-admin.js';
import { graphqlData } from './support/graphql.js';
import { answerConsent, openConsentPage, parseConsentPage } from './support/sign-in.js';
import { withTestApp } from './support/test-app.js';

const GOOGLE_HTTP_TIMEOUT_MS = 1000;

describe('sign-in edge cases', () => {
  const suite = withTestApp('sqlite', { GOOGLE_HTTP_TIMEOUT_MS: String(GOOGLE_HTTP_TIMEOUT_MS) });
  const loginCookie = () => 'tokenkeep_login';
  const count = async (table: string) =>
    (await suite.database.query(`SELECT * FROM ${table}`)).length;

  afterEach(async () => {
    await clearFaults(suite.app.emulatorUrl);
  });

  describe('a returnTo that cannot go into a Location header', () => {
    // Control characters, DEL, line and paragraph separators, and characters Node refuses in headers.
    const unsafe = [
      '/%7F',
      '/a%00b',
      '/%1B[31m',
      '/%E2%80%A8',
      '/%E2%80%A9',
      '/%F0%9F%98%80',
      '/%C2%85',
    ];

    it.each(unsafe)(
      '%s lands on / with the session set, and leaves no orphan session',
      async (raw) => {
        const browser = new TestBrowser();
        const start = await browser.get(`${suite.app.url}/auth/google?returnTo=${raw}`);
        expect(start.status).toBe(302);
        const consent = parseConsentPage(await browser.get(start.location ?? ''));
        const sessionsBefore = await count('sessions');
        const callback = await browser.get(await answerConsent(browser, consent, 'allow'));
        expect(callback.status).toBe(303);
        expect(callback.headers.get('location')).toBe('/');
        // the one session written is the one the browser holds
        expect(await count('sessions')).toBe(sessionsBefore + 1);
        const { me } = await graphqlData<{ me: { email: string } }>(
          browser,
          suite.app.url,
          '{ me { email } }',
        );
        expect(me.email).toBe('ada@example.com');
      },
    );

    it('a plain path with a query still lands where it asked', async () => {
      const browser = new TestBrowser();
      const start = await browser.get(
        `${suite.app.url}/auth/google?returnTo=${encodeURIComponent('/playground?query=%7B%20me%20%7D')}`,
      );
      const consent = parseConsentPage(await browser.get(start.location ?? ''));
      const callback = await browser.get(await answerConsent(browser, consent, 'allow'));
      expect(callback.headers.get('location')).toBe('/playground?query=%7B%20me%20%7D');
    });
  });

  it('a token endpoint that never answers ends the sign-in with 503 within about GOOGLE_HTTP_TIMEOUT_MS', async () => {
    const browser = new TestBrowser();
    const consent = await openConsentPage(browser, suite.app.url);
    const callbackUrl = await answerConsent(browser, consent, 'allow');
    const usersBefore = await count('users');
    const timeoutsBefore = (await emulatorStats(suite.app.emulatorUrl)).errors.timeout ?? 0;
    await injectFault(suite.app.emulatorUrl, { endpoint: 'token', timeout: true });

    const startedAt = performance.now();
    const callback = await browser.get(callbackUrl);
    const elapsedMs = performance.now() - startedAt;

    expect(callback.status).toBe(503);
    expect(callback.body).toMatch(/Google could not be reached/);
    expect(callback.body).toMatch(/UPSTREAM_UNAVAILABLE/);
    // the request really hung at the emulator, and the app gave up on its own deadline
    expect((await emulatorStats(suite.app.emulatorUrl)).errors.timeout).toBe(timeoutsBefore + 1);
    expect(elapsedMs).toBeGreaterThanOrEqual(GOOGLE_HTTP_TIMEOUT_MS - 50);
    expect(elapsedMs).toBeLessThan(GOOGLE_HTTP_TIMEOUT_MS + 3000);
    expect(await count('users')).toBe(usersBefore);
  });

  describe("a forged callback leaves the browser's sign-in binding alone", () => {
    it('a forged state: the real sign-in in the same browser still finishes', async () => {
      const browser = new TestBrowser();
      const callbackUrl = await answerConsent(
        browser,
        await openConsentPage(browser, suite.app.url),
        'allow',
      );
      const forged = new URL(callbackUrl);
      forged.searchParams.set('state', 'forged-state-value');
      expect((await browser.get(forged.toString())).status).toBe(400);
      expect(browser.cookie(loginCookie())).toBeTruthy();

      const real = await browser.get(callbackUrl);
      expect(real.status).toBe(303);
      // a state that matched spends the binding
      expect(browser.cookie(loginCookie())).toBe(undefined);
    });

    it('a forged provider error: the real sign-in in the same browser still finishes', async () => {
      const browser = new TestBrowser();
      const callbackUrl = await answerConsent(
        browser,
        await openConsentPage(browser, suite.app.url),
        'allow',
      );
      const forged = `${suite.app.url}/auth/google/callback?error=access_denied&state=forged-state-value`;
      expect((await browser.get(forged)).status).toBe(403);
      expect((await browser.get(callbackUrl)).status).toBe(303);
    });

    it('a denial that matches the state spends the binding', async () => {
      const browser = new TestBrowser();
      const consent = await openConsentPage(browser, suite.app.url);
      const callback = await browser.get(await answerConsent(browser, consent, 'deny'));
      expect(callback.status).toBe(403);
      expect(browser.cookie(loginCookie())).toBe(undefined);
    });
  });
});
