import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { StandaloneEmulator } from '@tokenkeep/google-emulator';
import { startAppProcess, type AppProcess } from './support/app-process.js';
import { TestBrowser } from './support/browser.js';
import {
  addEmulatorUser,
  clearFaults,
  emulatorGrant,
  injectFault,
  startTestEmulator,
} from './support/emulator-admin.js';
import { expectPresent } from './support/expect-present.js';
import { graphql, graphqlData } from './support/graphql.js';
import { answerConsent, answerConsentGranting, parseConsentPage } from './support/sign-in.js';
import { storedTokens } from './support/stored-tokens.js';
import {
  createTestDatabase,
  type DatabaseKind,
  type TestDatabase,
} from './support/test-database.js';

const DRIVE = 'https://www.googleapis.com/auth/drive.readonly';
const BUDGET_STATUS =
  '{ tokenStatus { state hasRefreshToken refreshTokensMinted refreshTokenIssuedAt predictedEndAt } }';
const WEEK_MS = 7 * 24 * 3600_000;

interface BudgetStatus {
  tokenStatus: {
    state: string;
    hasRefreshToken: boolean;
    refreshTokensMinted: number;
    refreshTokenIssuedAt: string | null;
    predictedEndAt: string | null;
  };
}

/** An app process on its own database and standalone emulator (its log lines are read). */
function withAppProcess(kind: DatabaseKind, env: Record<string, string>) {
  const suite = {} as { database: TestDatabase; emulator: StandaloneEmulator; app: AppProcess };
  beforeAll(async () => {
    suite.database = await createTestDatabase(kind);
    suite.emulator = await startTestEmulator(600);
    suite.app = await startAppProcess({
      databaseUrl: suite.database.url,
      emulatorUrl: suite.emulator.url,
      env,
    });
  });
  afterAll(async () => {
    await suite.app?.stop();
    await suite.emulator?.close();
    await suite.database?.drop();
  });
  return suite;
}

/** The start of a sign-in: the query Google is sent, and its consent page. */
async function startSignIn(browser: TestBrowser, url: string) {
  const start = await browser.get(url);
  expect(start.status).toBe(302);
  expectPresent(start.location);
  const asked = new URL(start.location).searchParams;
  return { asked, consent: parseConsentPage(await browser.get(start.location)) };
}

/** The refresh-token budget: prompt=consent only when needed, mints counted, a warning near the limit. */
export function describeRefreshTokenBudget(kind: DatabaseKind): void {
  describe(`the refresh-token budget on ${kind}`, () => {
    const suite = withAppProcess(kind, {
      REFRESH_TOKEN_BUDGET_WARN_AT: '3',
      FORCED_REFRESH_MIN_INTERVAL_SECONDS: '0',
    });
    let people = 0;
    const newGoogleUser = () => {
      people += 1;
      return addEmulatorUser(suite.emulator.url, {
        email: `budget-${people}@example.com`,
        name: `Budget ${people}`,
      });
    };

    /** A whole sign-in from a start URL; returns what the start asked Google for. */
    async function signIn(browser: TestBrowser, sub: string, path = '/auth/google') {
      const { asked, consent } = await startSignIn(browser, `${suite.app.url}${path}`);
      const callback = await browser.get(await answerConsent(browser, consent, 'allow', sub));
      expect(callback.status).toBe(303);
      expect(callback.location).toBe(`${suite.app.url}/`);
      return asked;
    }

    const status = async (browser: TestBrowser) =>
      (await graphqlData<BudgetStatus>(browser, suite.app.url, BUDGET_STATUS)).tokenStatus;

    it('a second sign-in of a user holding a usable refresh token sends no prompt=consent and mints none', async () => {
      const sub = await newGoogleUser();
      const first = new TestBrowser();
      expect((await signIn(first, sub)).has('prompt')).toBe(false);
      expect((await emulatorGrant(suite.emulator.url, sub))?.refresh_tokens_minted).toBe(1);
      const issuedAt = (await status(first)).refreshTokenIssuedAt;
      expectPresent(issuedAt);

      const second = new TestBrowser();
      expect((await signIn(second, sub)).has('prompt')).toBe(false);
      expect((await emulatorGrant(suite.emulator.url, sub))?.refresh_tokens_minted).toBe(1);
      expect(await status(second)).toMatchObject({
        state: 'ACTIVE',
        hasRefreshToken: true,
        refreshTokensMinted: 1,
        refreshTokenIssuedAt: issuedAt,
      });
    });

    it('without a usable refresh token, sign-in asks prompt=consent: at once for a session, after one round otherwise', async () => {
      const sub = await newGoogleUser();
      const signedIn = new TestBrowser();
      await signIn(signedIn, sub);
      await injectFault(suite.emulator.url, { endpoint: 'token', error: 'invalid_grant' });
      const dead = await graphql(signedIn, suite.app.url, 'mutation { refreshToken { state } }');
      expect(dead.errors?.[0]?.extensions?.code).toBe('REAUTH_REQUIRED');

      const withSession = await startSignIn(signedIn, `${suite.app.url}/auth/google`);
      expect(withSession.asked.get('prompt')).toBe('consent');

      // A browser with no session: Google answers without a refresh token, so the callback
      // stores nothing and starts again with prompt=consent for that account.
      const stranger = new TestBrowser();
      const { asked, consent } = await startSignIn(stranger, `${suite.app.url}/auth/google`);
      expect(asked.has('prompt')).toBe(false);
      const firstCallback = await stranger.get(
        await answerConsent(stranger, consent, 'allow', sub),
      );
      expect(firstCallback.status).toBe(303);
      expectPresent(firstCallback.location);
      expect(new URL(firstCallback.location).pathname).toBe('/auth/google');
      expect((await storedTokens(suite.database, sub)).row.state).toBe('REAUTH_REQUIRED');
      const round = await startSignIn(stranger, firstCallback.location);
      expect(round.asked.get('prompt')).toBe('consent');
      expect(round.asked.get('login_hint')).toBe(sub);
      const callback = await stranger.get(
        await answerConsent(stranger, round.consent, 'allow', sub),
      );
      expect(callback.location).toBe(`${suite.app.url}/`);
      expect((await emulatorGrant(suite.emulator.url, sub))?.refresh_tokens_minted).toBe(2);
      expect(await status(stranger)).toMatchObject({
        state: 'ACTIVE',
        hasRefreshToken: true,
        refreshTokensMinted: 2,
      });
    });

    it('counts every refresh token minted, rotations included, and warns near the budget without the token', async () => {
      const sub = await newGoogleUser();
      const browser = new TestBrowser();
      await signIn(browser, sub);
      const warningsBefore = await budgetWarnings(suite.app.url);
      await injectFault(suite.emulator.url, { endpoint: 'token', rotateRefreshTokens: true });
      try {
        for (let refresh = 1; refresh <= 2; refresh++) {
          await graphqlData(browser, suite.app.url, 'mutation { refreshToken { state } }');
        }
      } finally {
        await clearFaults(suite.emulator.url);
      }
      expect((await status(browser)).refreshTokensMinted).toBe(3);
      expect(await budgetWarnings(suite.app.url)).toBe(warningsBefore + 1);
      const warning = suite.app
        .output()
        .split('\n')
        .find((line) => line.includes("nears Google's refresh-token budget: 3 refresh tokens"));
      expectPresent(warning);
      const { refreshToken, accessToken } = await storedTokens(suite.database, sub);
      expect(suite.app.output()).not.toContain(refreshToken);
      expect(suite.app.output()).not.toContain(accessToken);
    });
  });

  describe(`an app in Testing publishing status on ${kind}`, () => {
    const suite = withAppProcess(kind, {
      GOOGLE_APP_PUBLISHING_STATUS: 'testing',
      GOOGLE_ALLOWED_SCOPES: DRIVE,
    });

    it('warns at start-up and shows each grant its predicted end: 7 days after issue, none for basic scopes', async () => {
      expect(suite.app.output()).toMatch(
        /GOOGLE_APP_PUBLISHING_STATUS=testing: Google ends the refresh tokens .* 7 days/,
      );
      const basic = new TestBrowser();
      const basicSub = await addEmulatorUser(suite.emulator.url, {
        email: 'testing-basic@example.com',
        name: 'Basic',
      });
      const basicStart = await startSignIn(basic, `${suite.app.url}/auth/google`);
      await basic.get(await answerConsent(basic, basicStart.consent, 'allow', basicSub));
      const basicStatus = (await graphqlData<BudgetStatus>(basic, suite.app.url, BUDGET_STATUS))
        .tokenStatus;
      expect(basicStatus.hasRefreshToken).toBe(true);
      expect(basicStatus.predictedEndAt).toBe(null);

      const drive = new TestBrowser();
      const driveSub = await addEmulatorUser(suite.emulator.url, {
        email: 'testing-drive@example.com',
        name: 'Drive',
      });
      const driveStart = await startSignIn(
        drive,
        `${suite.app.url}/auth/google?${new URLSearchParams({ scope: DRIVE }).toString()}`,
      );
      await drive.get(await answerConsentGranting(drive, driveStart.consent, driveSub, [DRIVE]));
      const driveStatus = (await graphqlData<BudgetStatus>(drive, suite.app.url, BUDGET_STATUS))
        .tokenStatus;
      expectPresent(driveStatus.refreshTokenIssuedAt);
      expectPresent(driveStatus.predictedEndAt);
      expect(Date.parse(driveStatus.predictedEndAt)).toBe(
        Date.parse(driveStatus.refreshTokenIssuedAt) + WEEK_MS,
      );
    });
  });
}

/** tokenkeep_refresh_token_budget_warnings_total as /metrics shows it. */
async function budgetWarnings(appUrl: string): Promise<number> {
  const text = await (await fetch(`${appUrl}/metrics`)).text();
  const line = text
    .split('\n')
    .find((entry) => entry.startsWith('tokenkeep_refresh_token_budget_warnings_total '));
  expectPresent(line);
  return Number(line.split(' ')[1]);
}
