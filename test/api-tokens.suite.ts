import { beforeEach, describe, expect, it } from '@jest/globals';
import { sha256 } from '../src/common/hash.js';
import { TestBrowser } from './support/browser.js';
import { graphql, graphqlData, ME } from './support/graphql.js';
import { signIn } from './support/sign-in.js';
import { withTestApp } from './support/test-app.js';
import type { DatabaseKind, TestDatabase } from './support/test-database.js';

const ALAN = '117350929174625391823';

interface SessionRow {
  id_hash: string;
  expires_at: string | Date;
}

/** Session rows by the hash of their raw id; timestamps read and written on either database. */
function sessionTable(database: TestDatabase) {
  const param = (index: number) => (database.kind === 'postgres' ? `$${index}` : '?');
  // SQLite keeps UTC as 'YYYY-MM-DD HH:MM:SS.SSS'; PostgreSQL takes and gives real timestamps.
  const stored = (date: Date) =>
    database.kind === 'postgres'
      ? date.toISOString()
      : date.toISOString().replace('T', ' ').replace('Z', '');
  const read = (value: string | Date) =>
    value instanceof Date ? value : new Date(`${value.replace(' ', 'T')}Z`);
  return {
    count: async () => (await database.query('SELECT id_hash FROM sessions')).length,
    expiresAt: async (rawId: string) => {
      const [row] = await database.query<SessionRow>(
        `SELECT id_hash, expires_at FROM sessions WHERE id_hash = ${param(1)}`,
        [sha256(rawId)],
      );
      return row ? read(row.expires_at) : null;
    },
    set: (rawId: string, column: 'expires_at' | 'last_seen_at', date: Date) =>
      database.query(`UPDATE sessions SET ${column} = ${param(1)} WHERE id_hash = ${param(2)}`, [
        stored(date),
        sha256(rawId),
      ]),
  };
}

/** API tokens: sessions minted from a signed-in browser session, which never outlive it. */
export function describeApiTokens(kind: DatabaseKind): void {
  describe(`API tokens on ${kind}`, () => {
    const suite = withTestApp(kind);
    let browser: TestBrowser;
    const sessions = () => sessionTable(suite.database);
    const cookieName = () => suite.app.config.session.cookieName;
    const browserSession = () => browser.cookie(cookieName()) ?? '';

    const mintApiToken = async (from: TestBrowser = browser) => {
      const page = await from.postForm(`${suite.app.url}/auth/api-token`, {});
      expect(page.status).toBe(201);
      const token = /<code id="api-token">([^<]+)<\/code>/.exec(page.body)?.[1];
      expect(token).toBeTruthy();
      return token ?? '';
    };
    const bearerWorks = async (token: string) =>
      (await graphql(new TestBrowser(), suite.app.url, ME, token)).errors === undefined;
    const cookieWorks = async (holder: TestBrowser) =>
      (await graphql(holder, suite.app.url, ME)).errors === undefined;

    beforeEach(async () => {
      browser = new TestBrowser();
      await signIn(browser, suite.app.url);
    });

    it('ends no later than the session that made it', async () => {
      const parentEnd = new Date(Date.now() + 3600_000);
      await sessions().set(browserSession(), 'expires_at', parentEnd);
      const token = await mintApiToken();
      const childEnd = await sessions().expiresAt(token);
      expect(childEnd).not.toBe(null);
      expect(childEnd!.getTime()).toBeLessThanOrEqual(parentEnd.getTime());
      expect(await bearerWorks(token)).toBe(true);
    });

    it('cannot mint another token, whether presented as a cookie or as a bearer token', async () => {
      const token = await mintApiToken();
      const before = await sessions().count();
      const asCookie = new TestBrowser();
      asCookie.setCookie(cookieName(), token);
      const fromCookie = await asCookie.postForm(`${suite.app.url}/auth/api-token`, {});
      expect(fromCookie.status).toBe(403);
      expect(fromCookie.body).not.toMatch(/id="api-token"/);
      const fromBearer = await new TestBrowser().postForm(
        `${suite.app.url}/auth/api-token`,
        {},
        { authorization: `Bearer ${token}` },
      );
      expect([401, 403]).toContain(fromBearer.status);
      expect(fromBearer.body).not.toMatch(/id="api-token"/);
      expect(await sessions().count()).toBe(before);
      // the token itself still works
      expect(await bearerWorks(token)).toBe(true);
    });

    it('ends when the session that made it signs out', async () => {
      const token = await mintApiToken();
      expect(await bearerWorks(token)).toBe(true);
      expect((await browser.postForm(`${suite.app.url}/auth/logout`, {})).status).toBe(303);
      expect(await bearerWorks(token)).toBe(false);
      expect(await sessions().expiresAt(token)).toBe(null);
    });

    it('ends when the session that made it has gone idle or past its end', async () => {
      const idleToken = await mintApiToken();
      const idleFor = (suite.app.config.session.idleTimeoutSeconds + 60) * 1000;
      await sessions().set(browserSession(), 'last_seen_at', new Date(Date.now() - idleFor));
      expect(await bearerWorks(idleToken)).toBe(false);

      browser = new TestBrowser();
      await signIn(browser, suite.app.url);
      const endedToken = await mintApiToken();
      await sessions().set(browserSession(), 'expires_at', new Date(Date.now() - 1000));
      expect(await bearerWorks(endedToken)).toBe(false);
    });

    it('signing out of one API token leaves the browser session alone', async () => {
      const token = await mintApiToken();
      const holder = new TestBrowser();
      holder.setCookie(cookieName(), token);
      expect((await holder.postForm(`${suite.app.url}/auth/logout`, {})).status).toBe(303);
      expect(await bearerWorks(token)).toBe(false);
      expect(await cookieWorks(browser)).toBe(true);
    });

    it('POST /auth/logout-everywhere ends every session and API token of the user, and only theirs', async () => {
      const otherBrowser = new TestBrowser();
      await signIn(otherBrowser, suite.app.url);
      const tokens = [await mintApiToken(), await mintApiToken(otherBrowser)];
      const alan = new TestBrowser();
      await signIn(alan, suite.app.url, ALAN);
      const alanToken = await mintApiToken(alan);

      const answer = await browser.postForm(`${suite.app.url}/auth/logout-everywhere`, {});
      expect(answer.status).toBe(303);
      expect(answer.location).toBe(`${suite.app.url}/`);
      expect(await cookieWorks(browser)).toBe(false);
      expect(await cookieWorks(otherBrowser)).toBe(false);
      for (const token of tokens) expect(await bearerWorks(token)).toBe(false);
      expect(await cookieWorks(alan)).toBe(true);
      expect(await bearerWorks(alanToken)).toBe(true);
    });

    it('the signOutEverywhere mutation does the same, from a browser or an API token', async () => {
      const otherBrowser = new TestBrowser();
      await signIn(otherBrowser, suite.app.url);
      const token = await mintApiToken(otherBrowser);
      const { signOutEverywhere } = await graphqlData<{ signOutEverywhere: boolean }>(
        browser,
        suite.app.url,
        'mutation { signOutEverywhere }',
      );
      expect(signOutEverywhere).toBe(true);
      expect(await cookieWorks(browser)).toBe(false);
      expect(await cookieWorks(otherBrowser)).toBe(false);
      expect(await bearerWorks(token)).toBe(false);

      await signIn(browser, suite.app.url);
      const apiToken = await mintApiToken();
      const fromToken = await graphqlData<{ signOutEverywhere: boolean }>(
        new TestBrowser(),
        suite.app.url,
        'mutation { signOutEverywhere }',
        apiToken,
      );
      expect(fromToken.signOutEverywhere).toBe(true);
      expect(await cookieWorks(browser)).toBe(false);
    });
  });
}
