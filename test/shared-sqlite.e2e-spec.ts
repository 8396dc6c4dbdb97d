import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { StandaloneEmulator } from '@tokenkeep/google-emulator';
import { MIGRATIONS } from '../src/database/data-source-options.js';
import { startAppProcess, type AppProcess } from './support/app-process.js';
import { TestBrowser } from './support/browser.js';
import { startTestEmulator } from './support/emulator-admin.js';
import { graphqlData } from './support/graphql.js';
import { answerConsent, finishConsentRound, openConsentPage } from './support/sign-in.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

const PUBLIC_URL = 'http://shared-sqlite.test';
const SIGN_INS_PER_ROUND = 8;
const ROUNDS = 3;

describe('two instances on one SQLite file', () => {
  let database: TestDatabase;
  let emulator: StandaloneEmulator;
  let instances: AppProcess[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    emulator = await startTestEmulator(3600);
    const options = {
      databaseUrl: database.url,
      emulatorUrl: emulator.url,
      publicUrl: PUBLIC_URL,
    };
    instances = await Promise.all([startAppProcess(options), startAppProcess(options)]);
  });

  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
    await emulator?.close();
    await database?.drop();
  });

  it('both started together on a new file: the migrations ran once, one instance after the other', async () => {
    const migrations = await database.query<{ name: string }>('SELECT name FROM migrations');
    expect(migrations.map((row) => row.name)).toEqual(
      MIGRATIONS.map((migration) => migration.name),
    );
  });

  it('concurrent sign-ins through both instances all succeed: writers wait their turn', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      // every browser gets to Google's consent first, so the callbacks can land at the same moment
      const pending = await Promise.all(
        Array.from({ length: SIGN_INS_PER_ROUND }, async (_, index) => {
          const appUrl = instances[index % 2].url;
          const browser = new TestBrowser();
          const consent = await openConsentPage(browser, appUrl);
          const sub = consent.subs[Math.floor(index / 2) % consent.subs.length];
          const callbackUrl = await answerConsent(browser, consent, 'allow', sub);
          return { browser, appUrl, sub, callbackUrl: callbackUrl.replace(PUBLIC_URL, appUrl) };
        }),
      );
      // A callback without a refresh token that lands before the one with it is committed goes
      // round once more for consent (see ConsentPolicy); that round is completed too.
      const callbacks = await Promise.all(
        pending.map(async ({ browser, appUrl, sub, callbackUrl }) =>
          finishConsentRound(browser, await browser.get(callbackUrl), sub, (url) =>
            url.replace(PUBLIC_URL, appUrl),
          ),
        ),
      );
      expect(callbacks.map((callback) => callback.status)).toEqual(
        Array(SIGN_INS_PER_ROUND).fill(303),
      );
      for (const { browser, appUrl } of pending) {
        const { me } = await graphqlData<{ me: { email: string } }>(
          browser,
          appUrl,
          '{ me { email } }',
        );
        expect(me.email).toMatch(/@example\.com$/);
      }
    }
    const sessions = await database.query<{ count: number }>(
      'SELECT count(*) AS count FROM sessions',
    );
    expect(sessions[0].count).toBe(SIGN_INS_PER_ROUND * ROUNDS);
  });
});
