import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TestBrowser } from './support/browser.js';
import { emulatorStats } from './support/emulator-admin.js';
import { signIn } from './support/sign-in.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

const ADA = '104892461539281739254';
const ALAN = '117350929174625391823';

/**
 * Passport keeps its strategies in one process-wide registry. Two apps in one process (as tests,
 * or a host embedding two instances) must each sign in through their own strategy: their own
 * Google (here each app's embedded emulator) and their own database.
 */
describe('two apps in one process', () => {
  const apps: { database: TestDatabase; app: TestApp }[] = [];
  let stopped: TestApp | undefined;

  beforeAll(async () => {
    for (let index = 0; index < 2; index += 1) {
      const database = await createTestDatabase('sqlite');
      apps.push({ database, app: await startTestApp(database) });
    }
  });

  afterAll(async () => {
    for (const { app, database } of apps) {
      if (app !== stopped) await app.stop();
      await database.drop();
    }
  });

  const codeGrants = async (app: TestApp) =>
    (await emulatorStats(app.emulatorUrl)).tokenGrants.authorization_code;
  const usersIn = async (database: TestDatabase) =>
    (await database.query<{ google_sub: string }>('SELECT google_sub FROM users')).map(
      (row) => row.google_sub,
    );

  it('each sign-in reaches its own Google and lands in its own database', async () => {
    const [first, second] = apps;
    for (const [own, other, sub] of [
      [first, second, ADA],
      [second, first, ALAN],
    ] as const) {
      const grantsBefore = { own: await codeGrants(own.app), other: await codeGrants(other.app) };
      const usersOfOtherBefore = await usersIn(other.database);
      const browser = new TestBrowser();
      const start = await browser.get(`${own.app.url}/auth/google`);
      expect(start.location?.startsWith(`${own.app.emulatorUrl}/`)).toBe(true);

      const { callback } = await signIn(browser, own.app.url, sub);
      expect(callback.status).toBe(303);
      expect(await codeGrants(own.app)).toBe(grantsBefore.own + 1);
      expect(await codeGrants(other.app)).toBe(grantsBefore.other);
      expect(await usersIn(own.database)).toContain(sub);
      expect(await usersIn(other.database)).toEqual(usersOfOtherBefore);
    }
    expect(await usersIn(first.database)).toEqual([ADA]);
    expect(await usersIn(second.database)).toEqual([ALAN]);
  });

  it('closing one app leaves the other signing in', async () => {
    const [first, second] = apps;
    stopped = second.app;
    await second.app.stop();
    const grantsBefore = await codeGrants(first.app);
    const { callback } = await signIn(new TestBrowser(), first.app.url, ALAN);
    expect(callback.status).toBe(303);
    expect(await codeGrants(first.app)).toBe(grantsBefore + 1);
    expect(await usersIn(first.database)).toEqual(expect.arrayContaining([ADA, ALAN]));
  });
});
