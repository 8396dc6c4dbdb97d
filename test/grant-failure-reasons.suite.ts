import { describe, expect, it } from '@jest/globals';
import { TestBrowser } from './support/browser.js';
import {
  advanceEmulatorClock,
  emulatorAdmin,
  revokeUserAtEmulator,
} from './support/emulator-admin.js';
import { expectPresent } from './support/expect-present.js';
import { graphql, graphqlData, PROFILE, REFRESH_TOKEN } from './support/graphql.js';
import { answerConsent, parseConsentPage, signIn } from './support/sign-in.js';
import { withTestApp, type TestApp } from './support/test-app.js';
import {
  expireStoredTokens,
  type DatabaseKind,
  type TestDatabase,
} from './support/test-database.js';

const CALENDAR = 'https://www.googleapis.com/auth/calendar.readonly';
const DAY_SECONDS = 24 * 3600;
const STATUS = '{ tokenStatus { state failureReason } }';
const EVENTS = '{ tokenEvents(limit: 3) { type code reason } }';

interface EmulatorGrant {
  client_id: string;
  live_refresh_tokens: number;
}

/** A Google account of its own for each test, so no test sees another's grant. */
async function newGoogleUser(app: TestApp, name: string): Promise<string> {
  const user = await emulatorAdmin<{ sub: string }>(app.emulatorUrl, 'POST', '/users', {
    email: `${name.toLowerCase()}@example.com`,
    name,
  });
  return user.sub;
}

async function signedIn(app: TestApp, sub: string): Promise<TestBrowser> {
  const browser = new TestBrowser();
  await signIn(browser, app.url, sub);
  return browser;
}

/** The error a user sees: its extensions (code, reason, loginUrl...). */
async function errorOf(browser: TestBrowser, app: TestApp, query: string) {
  const answer = await graphql(browser, app.url, query);
  expectPresent(answer.errors?.[0]);
  return answer.errors[0].extensions ?? {};
}

async function statusOf(browser: TestBrowser, app: TestApp) {
  return (
    await graphqlData<{ tokenStatus: { state: string; failureReason: string | null } }>(
      browser,
      app.url,
      STATUS,
    )
  ).tokenStatus;
}

async function latestEvent(browser: TestBrowser, app: TestApp) {
  return (
    await graphqlData<{ tokenEvents: { type: string; code: string | null; reason: string }[] }>(
      browser,
      app.url,
      EVENTS,
    )
  ).tokenEvents[0];
}

/** The value of one counter series on /metrics (0 when absent). */
async function counter(app: TestApp, name: string, reason: string): Promise<number> {
  const metrics = await (await fetch(`${app.url}/metrics`)).text();
  const line = metrics.split('\n').find((row) => row.startsWith(`${name}{reason="${reason}"}`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

async function grantsAtEmulator(app: TestApp, sub: string): Promise<EmulatorGrant[]> {
  const query = `/grants?sub=${sub}&client_id=${encodeURIComponent(app.config.google.clientId)}`;
  return (await emulatorAdmin<{ grants: EmulatorGrant[] }>(app.emulatorUrl, 'GET', query)).grants;
}

/** Another device of the same app (same client) has the user consent again: Google mints a new refresh token. */
async function mintRefreshTokenElsewhere(app: TestApp, sub: string): Promise<void> {
  const { clientId, clientSecret, callbackUrl } = app.config.google;
  const browser = new TestBrowser();
  const authorization = new URLSearchParams({
    client_id: clientId,
    redirect_uri: callbackUrl,
    response_type: 'code',
    scope: 'openid email',
    access_type: 'offline',
    prompt: 'consent',
    state: 'elsewhere',
  });
  const consent = parseConsentPage(
    await browser.get(`${app.emulatorUrl}/o/oauth2/v2/auth?${authorization.toString()}`),
  );
  const code = new URL(await answerConsent(browser, consent, 'allow', sub)).searchParams.get(
    'code',
  );
  expectPresent(code);
  const response = await fetch(`${app.emulatorUrl}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: callbackUrl,
      client_id: clientId,
      client_secret: clientSecret,
    }),
  });
  const tokens = (await response.json()) as { refresh_token?: string };
  expect(typeof tokens.refresh_token).toBe('string');
}

/** Our clock has not moved with the emulator's: the grant was signed in `days` ago as far as we know. */
async function backdateGrant(database: TestDatabase, days: number): Promise<void> {
  const earlier =
    database.kind === 'postgres'
      ? `now() - interval '${days} days'`
      : `strftime('%Y-%m-%d %H:%M:%f', 'now', '-${days} days')`;
  await database.query(
    `UPDATE oauth_tokens SET created_at = ${earlier}, refresh_token_issued_at = ${earlier}`,
  );
}

/**
 * Why a grant died, as a user sees it (tokenStatus, tokenEvents, the GraphQL error) and an
 * operator counts it (/metrics), for each of Google's rules the emulator plays.
 */
export function describeGrantFailureReasons(kind: DatabaseKind): void {
  describe(`why a grant died, on ${kind}`, () => {
    const suite = withTestApp(kind, {
      GOOGLE_SCOPES: `openid email profile ${CALENDAR}`,
      GOOGLE_APP_PUBLISHING_STATUS: 'testing',
    });
    const dead = (reason: string) => counter(suite.app, 'tokenkeep_grants_dead_total', reason);

    it('invalid_rapt: REAUTH_POLICY, the grant not revoked at Google, and signing in again works', async () => {
      const app = suite.app;
      const sub = await newGoogleUser(app, 'Rapt');
      const browser = await signedIn(app, sub);
      await emulatorAdmin(app.emulatorUrl, 'POST', '/reauth-policy', { sub });

      const error = await errorOf(browser, app, REFRESH_TOKEN);
      expect(error).toMatchObject({ code: 'REAUTH_REQUIRED', reason: 'REAUTH_POLICY' });
      expect(await statusOf(browser, app)).toEqual({
        state: 'REAUTH_REQUIRED',
        failureReason: 'REAUTH_POLICY',
      });
      expect(await latestEvent(browser, app)).toEqual({
        type: 'REAUTH_REQUIRED',
        code: 'invalid_grant',
        reason: 'REAUTH_POLICY',
      });
      expect(await dead('REAUTH_POLICY')).toBe(1);
      // the home page says it in plain words
      expect((await browser.get(`${app.url}/`)).body).toContain(
        'Your organisation asks you to sign in with Google again from time to time; nothing was revoked.',
      );
      // Google still holds the grant and its refresh token: nothing was revoked
      expect(await grantsAtEmulator(app, sub)).toEqual([
        expect.objectContaining({ live_refresh_tokens: 1 }),
      ]);

      await signIn(browser, app.url, sub);
      expect(await statusOf(browser, app)).toEqual({ state: 'ACTIVE', failureReason: null });
      expect((await graphql(browser, app.url, REFRESH_TOKEN)).errors).toBe(undefined);
      expect(await statusOf(browser, app)).toEqual({ state: 'ACTIVE', failureReason: null });
    });

    it('revoked at Google: REVOKED', async () => {
      const app = suite.app;
      const sub = await newGoogleUser(app, 'Revoked');
      const browser = await signedIn(app, sub);
      await revokeUserAtEmulator(app.emulatorUrl, sub);

      // Google refuses the access token, the refresh fails, the access token is refused too
      const error = await errorOf(browser, app, PROFILE);
      expect(error).toMatchObject({ code: 'REAUTH_REQUIRED', reason: 'REVOKED' });
      expect(await statusOf(browser, app)).toEqual({
        state: 'REAUTH_REQUIRED',
        failureReason: 'REVOKED',
      });
      expect(await latestEvent(browser, app)).toMatchObject({
        type: 'REAUTH_REQUIRED',
        reason: 'REVOKED',
      });
      expect(await dead('REVOKED')).toBe(1);
    });

    it('evicted past the live refresh-token limit: EVICTED, told apart by the access token that still works', async () => {
      const app = suite.app;
      const sub = await newGoogleUser(app, 'Evicted');
      const browser = await signedIn(app, sub);
      await emulatorAdmin(app.emulatorUrl, 'PATCH', '/settings', { refresh_token_limit: 2 });
      try {
        await mintRefreshTokenElsewhere(app, sub);
        await mintRefreshTokenElsewhere(app, sub);
      } finally {
        await emulatorAdmin(app.emulatorUrl, 'PATCH', '/settings', { refresh_token_limit: 100 });
      }

      const error = await errorOf(browser, app, REFRESH_TOKEN);
      expect(error).toMatchObject({ code: 'REAUTH_REQUIRED', reason: 'EVICTED' });
      expect(await statusOf(browser, app)).toEqual({
        state: 'REAUTH_REQUIRED',
        failureReason: 'EVICTED',
      });
      expect(await latestEvent(browser, app)).toMatchObject({
        type: 'REAUTH_REQUIRED',
        reason: 'EVICTED',
      });
      expect(await dead('EVICTED')).toBe(1);
    });

    it('a wrong client secret: CLIENT_MISCONFIGURED in the error and the metric, the grant left ACTIVE', async () => {
      const app = suite.app;
      const sub = await newGoogleUser(app, 'Misconfigured');
      const browser = await signedIn(app, sub);
      const rightSecret = app.config.google.clientSecret;
      // What an operator who pasted the wrong secret runs with (the app reads it per request).
      app.config.google.clientSecret = 'GOCSPX-not-the-right-secret';
      await expireStoredTokens(suite.database);
      try {
        const error = await errorOf(browser, app, PROFILE);
        expect(error).toMatchObject({
          code: 'UPSTREAM_UNAVAILABLE',
          reason: 'CLIENT_MISCONFIGURED',
        });
        expect(await latestEvent(browser, app)).toEqual({
          type: 'REFRESH_FAILED',
          code: 'invalid_client',
          reason: 'CLIENT_MISCONFIGURED',
        });
      } finally {
        app.config.google.clientSecret = rightSecret;
      }
      // stored as ACTIVE; its access token has expired
      expect(await statusOf(browser, app)).toEqual({ state: 'EXPIRED', failureReason: null });
      expect(await counter(app, 'tokenkeep_refresh_refusals_total', 'CLIENT_MISCONFIGURED')).toBe(
        1,
      );
      expect(await dead('CLIENT_MISCONFIGURED')).toBe(0);
    });

    // Last: the emulator's clock moves a week for everyone.
    it('Testing publishing status, a week later: EXPIRED_TESTING_APP', async () => {
      const app = suite.app;
      const { clientId, clientSecret, callbackUrl } = app.config.google;
      await emulatorAdmin(app.emulatorUrl, 'POST', '/clients', {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [callbackUrl],
        publishing_status: 'testing',
      });
      const sub = await newGoogleUser(app, 'Tester');
      const browser = await signedIn(app, sub);
      await advanceEmulatorClock(app.emulatorUrl, 7 * DAY_SECONDS + 3600);
      await backdateGrant(suite.database, 8);

      // Google refuses the (expired) access token, then the refresh token
      const error = await errorOf(browser, app, PROFILE);
      expect(error).toMatchObject({ code: 'REAUTH_REQUIRED', reason: 'EXPIRED_TESTING_APP' });
      expect(await statusOf(browser, app)).toEqual({
        state: 'REAUTH_REQUIRED',
        failureReason: 'EXPIRED_TESTING_APP',
      });
      expect(await latestEvent(browser, app)).toMatchObject({
        type: 'REAUTH_REQUIRED',
        reason: 'EXPIRED_TESTING_APP',
      });
      expect(await dead('EXPIRED_TESTING_APP')).toBe(1);
      // (No sign-in again here: the emulator's ID tokens now claim to be issued a week ahead of us.)
    });
  });
}
