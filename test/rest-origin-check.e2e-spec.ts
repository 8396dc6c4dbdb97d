import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { TestBrowser } from './support/browser.js';
import { launchChromium } from './support/chromium.js';
import { emulatorStats } from './support/emulator-admin.js';
import { graphql } from './support/graphql.js';
import { signIn } from './support/sign-in.js';
import { withTestApp } from './support/test-app.js';

const STATE_CHANGING_ROUTES = [
  '/auth/logout',
  '/auth/logout-everywhere',
  '/auth/disconnect',
  '/auth/api-token',
];

describe('state-changing REST routes and the origin of a request', () => {
  const suite = withTestApp('sqlite');
  const ownOrigin = () => new URL(suite.app.config.publicUrl).origin;
  const snapshot = async () => ({
    sessions: (await suite.database.query('SELECT id_hash FROM sessions')).length,
    tokenStates: (
      await suite.database.query<{ state: string }>('SELECT state FROM oauth_tokens')
    ).map((row) => row.state),
    revocationsAtGoogle: (await emulatorStats(suite.app.emulatorUrl)).revocations,
  });

  describe('as an HTTP client sends them', () => {
    let browser: TestBrowser;
    const signedIn = async () =>
      (await graphql(browser, suite.app.url, '{ me { email } }')).errors === undefined;

    beforeEach(async () => {
      browser = new TestBrowser();
      await signIn(browser, suite.app.url);
    });

    it.each(STATE_CHANGING_ROUTES)(
      '%s from another origin is refused with 403 and changes nothing',
      async (route) => {
        const sibling = new URL(suite.app.url);
        sibling.port = String(Number(sibling.port) + 1);
        const foreign: Record<string, string>[] = [
          { origin: 'https://evil.example' },
          { origin: `${ownOrigin()}.evil.example` },
          // a sibling port or subdomain: same site, another origin
          { origin: sibling.origin },
          { origin: 'null' },
          { origin: 'null', 'sec-fetch-site': 'same-site' },
          { origin: 'null', 'sec-fetch-site': 'cross-site' },
          { 'sec-fetch-site': 'same-site' },
        ];
        const before = await snapshot();
        for (const headers of foreign) {
          const answer = await browser.postForm(`${suite.app.url}${route}`, {}, headers);
          expect(answer.status).toBe(403);
          expect(answer.body).toMatch(/not allowed/);
          expect(answer.headers.get('set-cookie')).toBe(null);
        }
        expect(await snapshot()).toEqual(before);
        expect(await signedIn()).toBe(true);
      },
    );

    it.each([
      ['our Origin', () => ({ origin: ownOrigin() })],
      [
        'Origin null from our own page (Referrer-Policy: no-referrer), Sec-Fetch-Site same-origin',
        () => ({ origin: 'null', 'sec-fetch-site': 'same-origin' }),
      ],
    ])('the forms on our own pages keep working: %s', async (_name, headers) => {
      const token = await browser.postForm(`${suite.app.url}/auth/api-token`, {}, headers());
      expect(token.status).toBe(201);
      const disconnect = await browser.postForm(`${suite.app.url}/auth/disconnect`, {}, headers());
      expect(disconnect.status).toBe(303);
      const logout = await browser.postForm(`${suite.app.url}/auth/logout`, {}, headers());
      expect(logout.status).toBe(303);
      expect(await signedIn()).toBe(false);
    });

    it('a request with neither Origin nor Sec-Fetch-Site (not a browser) is served, as GraphQL does', async () => {
      const logout = await browser.postForm(`${suite.app.url}/auth/logout`, {});
      expect(logout.status).toBe(303);
      expect(await signedIn()).toBe(false);
    });
  });

  describe('as Chromium sends them', () => {
    let chromiumBrowser: Browser;
    /** A page on another port of the same host: same site, another origin. */
    let sibling: Server;
    let siblingUrl = '';

    beforeAll(async () => {
      sibling = createServer((request, response) => {
        const route = new URL(request.url ?? '/', 'http://x').searchParams.get('route') ?? '';
        response
          .writeHead(200, { 'content-type': 'text/html' })
          .end(
            `<form method="post" action="${suite.app.url}${route}"><button id="submit">Win a prize</button></form>`,
          );
      });
      await new Promise<void>((resolve) => sibling.listen(0, '127.0.0.1', resolve));
      const address = sibling.address();
      siblingUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      chromiumBrowser = await launchChromium();
    });

    afterAll(async () => {
      await chromiumBrowser?.close();
      await new Promise((resolve) => sibling?.close(resolve));
    });

    const signInWithChromium = async (): Promise<Page> => {
      const page = await (await chromiumBrowser.newContext()).newPage();
      await page.goto(`${suite.app.url}/`);
      await page.click('#sign-in');
      await page.click('button[value="allow"]');
      await page.waitForSelector('#token-status');
      return page;
    };

    const submitFrom = async (page: Page, formUrl: string, route: string) => {
      await page.goto(formUrl);
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url() === `${suite.app.url}${route}`),
        page.click('#submit'),
      ]);
      return response.status();
    };

    it('a form on a sibling port cannot sign the user out or disconnect Google, though the browser sends the cookie', async () => {
      const page = await signInWithChromium();
      const before = await snapshot();
      for (const route of ['/auth/logout', '/auth/disconnect', '/auth/logout-everywhere']) {
        expect(await submitFrom(page, `${siblingUrl}/?route=${route}`, route)).toBe(403);
      }
      expect(await snapshot()).toEqual(before);
      await page.goto(`${suite.app.url}/`);
      expect((await page.textContent('#token-status')) ?? '').toMatch(/ACTIVE/);
    });

    it('our own Sign out button works', async () => {
      const page = await signInWithChromium();
      await page.click('#sign-out');
      await page.waitForSelector('#sign-in');
    });
  });
});
