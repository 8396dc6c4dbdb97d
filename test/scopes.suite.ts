import { describe, expect, it } from '@jest/globals';
import { AppError, AppErrorCode } from '../src/common/app-error.js';
import { TokenService } from '../src/tokens/token.service.js';
import { TestBrowser } from './support/browser.js';
import { addEmulatorUser, emulatorGrant, emulatorStats } from './support/emulator-admin.js';
import { expectPresent } from './support/expect-present.js';
import { graphql, graphqlData } from './support/graphql.js';
import {
  answerConsent,
  answerConsentGranting,
  openConsentPage,
  parseConsentPage,
} from './support/sign-in.js';
import { storedTokens } from './support/stored-tokens.js';
import { withTestApp } from './support/test-app.js';
import type { DatabaseKind } from './support/test-database.js';

const EMAIL = 'https://www.googleapis.com/auth/userinfo.email';
const PROFILE = 'https://www.googleapis.com/auth/userinfo.profile';
const DRIVE = 'https://www.googleapis.com/auth/drive.readonly';
const CALENDAR = 'https://www.googleapis.com/auth/calendar.readonly';
const SCOPE_STATUS = '{ tokenStatus { state scopes missingScopes hasRefreshToken } }';

interface ScopeStatus {
  tokenStatus: {
    state: string;
    scopes: string[];
    missingScopes: string[];
    hasRefreshToken: boolean;
  };
}

/** Scopes as data, end to end: granular consent, incremental authorization, scope needs, the allow-list. */
export function describeScopes(kind: DatabaseKind): void {
  describe(`scopes as data on ${kind}`, () => {
    const suite = withTestApp(kind, {
      EMULATOR_ACCESS_TOKEN_TTL_SECONDS: '600',
      GOOGLE_ALLOWED_SCOPES: `${DRIVE} ${CALENDAR}`,
    });
    let people = 0;
    const newGoogleUser = () => {
      people += 1;
      return addEmulatorUser(suite.app.emulatorUrl, {
        email: `scopes-${people}@example.com`,
        name: `Scopes ${people}`,
      });
    };

    /** Completes a sign-in from its consent page, granting `granted` (all asked when undefined). */
    async function finish(
      browser: TestBrowser,
      path: string,
      sub: string,
      granted?: string[],
    ): Promise<void> {
      const consent = await openConsentPage(browser, suite.app.url, path);
      const callbackUrl = granted
        ? await answerConsentGranting(browser, consent, sub, granted)
        : await answerConsent(browser, consent, 'allow', sub);
      const callback = await browser.get(callbackUrl);
      expect(callback.status).toBe(303);
      expect(callback.location).toBe(`${suite.app.url}/`);
    }

    const scopePath = (...scopes: string[]) =>
      `/auth/google?${new URLSearchParams({ scope: scopes.join(' ') }).toString()}`;

    it('scopes unticked on the consent page are stored as not granted and shown as missing', async () => {
      const sub = await newGoogleUser();
      const browser = new TestBrowser();
      await finish(browser, scopePath(DRIVE, CALENDAR), sub, [CALENDAR]);
      const { tokenStatus } = await graphqlData<ScopeStatus>(browser, suite.app.url, SCOPE_STATUS);
      expect(tokenStatus.scopes.sort()).toEqual([CALENDAR, EMAIL, PROFILE, 'openid'].sort());
      expect(tokenStatus.missingScopes).toEqual([DRIVE]);
      expect((await storedTokens(suite.database, sub)).row.scopes.split(' ')).not.toContain(DRIVE);
    });

    it('incremental authorization unions the scopes, and asking again never drops the refresh token', async () => {
      const sub = await newGoogleUser();
      const browser = new TestBrowser();
      await finish(browser, '/auth/google', sub);
      await finish(browser, scopePath(DRIVE), sub, [DRIVE]);
      const afterUpgrade = await storedTokens(suite.database, sub);
      const { tokenStatus } = await graphqlData<ScopeStatus>(browser, suite.app.url, SCOPE_STATUS);
      expect(tokenStatus.scopes.sort()).toEqual([DRIVE, EMAIL, PROFILE, 'openid'].sort());
      expect(tokenStatus.missingScopes).toEqual([]);
      expect((await emulatorGrant(suite.app.emulatorUrl, sub))?.scopes).toContain(DRIVE);

      // Nothing new to grant and a usable refresh token held: Google sends none, the stored one stays.
      const consent = await openConsentPage(browser, suite.app.url, scopePath(DRIVE));
      const again = await browser.get(await answerConsent(browser, consent, 'allow', sub));
      expect(again.status).toBe(303);
      const afterAgain = await storedTokens(suite.database, sub);
      expect(afterAgain.refreshToken).toBe(afterUpgrade.refreshToken);
      const refreshed = await graphqlData<{ refreshToken: { state: string } }>(
        browser,
        suite.app.url,
        'mutation { refreshToken { state } }',
      );
      expect(refreshed.refreshToken.state).toBe('ACTIVE');
      const { tokenStatus: later } = await graphqlData<ScopeStatus>(
        browser,
        suite.app.url,
        SCOPE_STATUS,
      );
      expect(later.scopes).toContain(DRIVE);
    });

    it('withAccessToken with scopes not granted fails with INSUFFICIENT_SCOPE and the URL that asks for them', async () => {
      const sub = await newGoogleUser();
      const browser = new TestBrowser();
      await finish(browser, '/auth/google', sub);
      const tokens = suite.app.app.get(TokenService);
      const userId = (await storedTokens(suite.database, sub)).row.user_id;
      let called = 0;
      const call = () => Promise.resolve((called += 1));
      const error = await tokens.withAccessToken(userId, call, { scopes: [DRIVE, 'email'] }).then(
        () => null,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe(AppErrorCode.InsufficientScope);
      expect((error as AppError).details.missingScopes).toEqual([DRIVE]);
      const loginUrl = String((error as AppError).details.loginUrl);
      expect(loginUrl).toBe(`${suite.app.config.publicUrl}${scopePath(DRIVE)}`);
      expect(called).toBe(0);

      // The URL asks Google for exactly the missing scope on top of the grant; once granted, the call runs.
      const start = await browser.get(loginUrl);
      expectPresent(start.location);
      const asked = new URL(start.location).searchParams;
      expect(asked.get('scope')?.split(' ')).toContain(DRIVE);
      expect(asked.get('include_granted_scopes')).toBe('true');
      const consent = parseConsentPage(await browser.get(start.location));
      expect((await browser.get(await answerConsent(browser, consent, 'allow', sub))).status).toBe(
        303,
      );
      await expect(tokens.withAccessToken(userId, call, { scopes: [DRIVE] })).resolves.toBe(1);
    });

    it('a scope outside GOOGLE_ALLOWED_SCOPES is a 400 at /auth/google and BAD_USER_INPUT in requestScopes; nothing is written', async () => {
      const loginStates = () => suite.database.query('SELECT state_hash FROM login_states');
      const statesBefore = (await loginStates()).length;
      const authorizationsBefore = (await emulatorStats(suite.app.emulatorUrl))
        .authorizationRequests;
      const browser = new TestBrowser();
      const refused = await browser.get(
        `${suite.app.url}${scopePath(DRIVE, 'https://mail.google.com/')}`,
      );
      expect(refused.status).toBe(400);
      expect(refused.body).toMatch(/may not ask Google for one of the scopes/);
      expect(refused.location).toBe(undefined);
      expect((await loginStates()).length).toBe(statesBefore);
      expect((await emulatorStats(suite.app.emulatorUrl)).authorizationRequests).toBe(
        authorizationsBefore,
      );

      const sub = await newGoogleUser();
      await finish(browser, '/auth/google', sub);
      const denied = await graphql(
        browser,
        suite.app.url,
        'mutation { requestScopes(scopes: ["https://mail.google.com/"]) }',
      );
      expect(denied.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const url = await graphqlData<{ requestScopes: string }>(
        browser,
        suite.app.url,
        `mutation { requestScopes(scopes: ["${DRIVE}"]) }`,
      );
      expect(url.requestScopes).toBe(`${suite.app.config.publicUrl}${scopePath(DRIVE)}`);
    });
  });
}
