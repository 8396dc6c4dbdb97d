import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TestBrowser } from './support/browser.js';
import { graphql, ME } from './support/graphql.js';
import { answerConsent, openConsentPage, parseConsentPage, signIn } from './support/sign-in.js';
import { sha256 } from '../src/common/hash.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';
import { expectPresent } from './support/expect-present.js';

describe('sessions and sign-in redirects', () => {
  let database: TestDatabase;
  let app: TestApp;
  const cookieName = () => app.config.session.cookieName;
  const meCode = async (browser: TestBrowser) =>
    (await graphql(browser, app.url, ME)).errors?.[0].extensions?.code ?? 'OK';

  /** Signs in, starting from /auth/google with the given query, and returns where the callback sends the browser. */
  const landingAfterSignIn = async (query: string) => {
    const browser = new TestBrowser();
    const start = await browser.get(`${app.url}/auth/google${query}`);
    const consent = parseConsentPage(await browser.get(start.location ?? ''));
    const callback = await browser.get(await answerConsent(browser, consent, 'allow'));
    expect(callback.status).toBe(303);
    return callback.headers.get('location');
  };

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    app = await startTestApp(database);
  });

  afterAll(async () => {
    await app?.stop();
    await database?.drop();
  });

  it('issues a new session id at sign-in; the one the browser had before is dead', async () => {
    const browser = new TestBrowser();
    await signIn(browser, app.url);
    const before = browser.cookie(cookieName());
    await signIn(browser, app.url);
    const afterSignIn = browser.cookie(cookieName());
    expectPresent(before);
    expectPresent(afterSignIn);
    expect(afterSignIn).not.toBe(before);
    const replay = new TestBrowser();
    replay.setCookie(cookieName(), before);
    expect(await meCode(replay)).toBe('UNAUTHENTICATED');
    expect(await meCode(browser)).toBe('OK');
  });

  it('ends a session idle for longer than the idle timeout, and one past its absolute end', async () => {
    const idle = new TestBrowser();
    await signIn(idle, app.url);
    const absolute = new TestBrowser();
    await signIn(absolute, app.url);
    const idleSince = new Date(Date.now() - (app.config.session.idleTimeoutSeconds + 60) * 1000);
    const hash = (browser: TestBrowser) =>
      Promise.resolve(sha256(browser.cookie(cookieName()) ?? ''));
    await database.query('UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?', [
      idleSince.toISOString().replace('T', ' ').replace('Z', ''),
      await hash(idle),
    ]);
    await database.query(
      "UPDATE sessions SET expires_at = strftime('%Y-%m-%d %H:%M:%f', 'now', '-1 second') WHERE id_hash = ?",
      [await hash(absolute)],
    );
    expect(await meCode(idle)).toBe('UNAUTHENTICATED');
    expect(await meCode(absolute)).toBe('UNAUTHENTICATED');
    expect(
      // ended sessions are deleted
      (
        await database.query('SELECT id_hash FROM sessions WHERE id_hash IN (?, ?)', [
          await hash(idle),
          await hash(absolute),
        ])
      ).length,
    ).toBe(0);
  });

  it('deletes sessions past their end at the next sign-in, even if never presented again', async () => {
    const abandoned = new TestBrowser();
    await signIn(abandoned, app.url);
    const hash = sha256(abandoned.cookie(cookieName()) ?? '');
    await database.query(
      "UPDATE sessions SET expires_at = strftime('%Y-%m-%d %H:%M:%f', 'now', '-1 second') WHERE id_hash = ?",
      [hash],
    );
    await signIn(new TestBrowser(), app.url);
    expect(
      (await database.query('SELECT id_hash FROM sessions WHERE id_hash = ?', [hash])).length,
    ).toBe(0);
  });

  it('lands only on same-origin paths after sign-in', async () => {
    for (const hostile of [
      'https://evil.example',
      '//evil.example',
      '/\\evil.example',
      '%2F%2Fevil.example',
      'javascript:alert(1)',
      '/\r\nSet-Cookie: x=1',
    ]) {
      const landing = await landingAfterSignIn(`?returnTo=${encodeURIComponent(hostile)}`);
      expect(landing).toBe('/');
    }
    expect(await landingAfterSignIn('?returnTo=%2Fplayground%3Fquery%3D1')).toBe(
      '/playground?query=1',
    );
  });

  it('builds the redirect URI from configuration, never from Host or X-Forwarded-* headers', async () => {
    const start = await fetch(`${app.url}/auth/google`, {
      redirect: 'manual',
      headers: {
        host: 'evil.example',
        'x-forwarded-host': 'evil.example',
        'x-forwarded-proto': 'https',
      },
    });
    const location = new URL(start.headers.get('location') ?? '');
    expect(location.searchParams.get('redirect_uri')).toBe(
      `${app.config.publicUrl}/auth/google/callback`,
    );
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');
    expect(location.searchParams.get('code_challenge') ?? '').toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(location.searchParams.get('nonce')).toBeTruthy();
  });

  it('a state used with another browser is refused', async () => {
    const starter = new TestBrowser();
    const callbackUrl = await answerConsent(
      starter,
      await openConsentPage(starter, app.url),
      'allow',
    );
    const stranger = new TestBrowser();
    const callback = await stranger.get(callbackUrl);
    expect(callback.status).toBe(400);
    expect(stranger.cookie(cookieName())).toBe(undefined);
  });
});
